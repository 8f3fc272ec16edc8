export { Prng } from './prng';
export {
  type ForestData,
  type ForestParams,
  type ScoringLayout,
  DEFAULT_FOREST_PARAMS,
  SCORE_BLOCK_ROWS,
  averagePathLength,
  heightLimitFor,
  fitForest,
  compileForest,
  scoreKernel,
  scoreKernelWide,
  PACK_FEAT_BITS,
  scoreRowsInto,
  scoreRowsReference,
  accumulatePathCredit,
} from './isolation-forest';
export { ForestJson, encodeForest, decodeForest, type ForestDecodeResult } from './forest.codec';
export { ForestWorkerPool } from './forest.pool';
export { findSklearnPython, runSklearn, type SklearnRun } from './sklearn';
