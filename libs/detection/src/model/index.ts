export { ModelError, type ModelErrorCode } from './model.errors';
export {
  CATEGORICAL_FIELDS,
  type CategoricalField,
  type Column,
  type NumericColumn,
  type CategoricalColumn,
  portClass,
  fitPipeline,
} from './features';
export {
  Model,
  ModelJsonV1,
  type ModelParseResult,
  type TrainOptions,
  trainModel,
  DEFAULT_MAX_TRAINING_ROWS,
  TRAIN_LIMITS,
  LIBRARY_VERSION,
  MODEL_FORMAT,
  AUTO_THRESHOLD,
  SEVERITY_BAND_FRACTIONS,
} from './model';
export { Scorer, type ScoreResult, type ScorerOptions, severityOf, sameFeatureList } from './scorer';
export { toAnomaly } from './anomaly';
export { retrainGuard, retrainOnWindow, type RetrainVerdict, type RetrainOptions, type RetrainDecision } from './retrain';
export { spearman, rocAuc, quantileSorted } from './stats';
export { flowsFromCapture } from './capture-flows';
export { loadLabelledFlows, BENIGN_CAPTURES, ATTACK_CAPTURES, type LabelledFlows } from './labelled-flows';
