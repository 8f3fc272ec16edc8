import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { FlowV1 } from '@netsentry/contracts';
import {
  accumulatePathCredit,
  compileForest,
  decodeForest,
  encodeForest,
  fitForest,
  ForestJson,
  Prng,
  scoreRowsInto,
  SCORE_BLOCK_ROWS,
  type ForestData,
  type ScoringLayout,
} from '../forest';
import { CATEGORICAL_FIELDS, columnQuantiles, fitPipeline, type Column } from './features';
import { ModelError } from './model.errors';
import { quantileSorted, sortedCopy, QUANTILE_POINTS } from './stats';
import pkg from '../../package.json';

/** Version of libs/detection that wrote a model (stored in it, for people and migrations). */
export const LIBRARY_VERSION: string = pkg.version;
export const MODEL_FORMAT = 'netsentry.iforest.v1';

/** scikit-learn's `contamination='auto'`: a flow is anomalous when its score exceeds 0.5. */
export const AUTO_THRESHOLD = 0.5;

/** Where the severity bands start, as fractions of the way from the threshold to a score of 1. */
export const SEVERITY_BAND_FRACTIONS = { medium: 0.2, high: 0.4, critical: 0.6 } as const;

export interface TrainOptions {
  /** Trees (default 100). */
  nEstimators?: number;
  /** Rows per tree (default 256). */
  maxSamples?: number;
  /** Expected share of anomalies in the training data (0, 0.5], or 'auto' (default) for a 0.5 score threshold. */
  contamination?: number | 'auto';
  /** Seed (default 1): same seed and flows, same model and id. */
  seed?: number;
  /** Sensor group the model is for (default 'default'). */
  sensorGroup?: string;
  /** Event-time window of the training flows, epoch seconds (default: first start to last end). */
  trainingWindow?: { start: number; end: number };
  /**
   * Most flows the pipeline, forest and threshold are fitted on (default 100 000). A larger
   * baseline (a day of traffic) is sampled uniformly with the seed first, which bounds training
   * time and memory; the forest itself only ever sees 100 × 256 rows.
   */
  maxTrainingRows?: number;
}

export const DEFAULT_MAX_TRAINING_ROWS = 100_000;

/**
 * Largest training parameters (trainModel refuses more, Model.parse too, the CLI bounds its
 * options with them): 10 000 trees of 2^20-row subsamples already take minutes and gigabytes.
 */
export const TRAIN_LIMITS = { maxTrees: 10_000, maxSamples: 2 ** 20, maxSeed: 2 ** 32 - 1 } as const;

const NumericColumnJson = z.object({
  kind: z.literal('numeric'),
  name: z.string().min(1).max(128),
  log: z.boolean(),
  center: z.number().finite(),
  scale: z.number().finite().positive(),
  median: z.number().finite(),
});
const CategoricalColumnJson = z.object({
  kind: z.literal('categorical'),
  name: z.enum(CATEGORICAL_FIELDS),
  freq: z.record(z.string(), z.number().min(0).max(1)),
  median: z.number().finite(),
});

/** The stored form of a model: what libs/storage keeps in the `models` table. */
export const ModelJsonV1 = z.object({
  format: z.literal(MODEL_FORMAT),
  /** Content hash (`modelId`) of everything below except `version`: same seed + flows → same id. */
  id: z.string().regex(/^if-[0-9a-f]{16}$/),
  /** Registry version, assigned when stored (0 until then). */
  version: z.number().int().nonnegative(),
  libraryVersion: z.string().min(1),
  sensorGroup: z.string().min(1).max(128),
  params: z.object({
    nEstimators: z.number().int().positive().max(TRAIN_LIMITS.maxTrees),
    maxSamples: z.number().int().min(2).max(TRAIN_LIMITS.maxSamples),
    contamination: z.union([z.literal('auto'), z.number().gt(0).max(0.5)]),
    seed: z.number().int().nonnegative().max(TRAIN_LIMITS.maxSeed),
  }),
  trainingWindow: z.object({ start: z.number().finite(), end: z.number().finite() }),
  /** Flows the model was fitted on (a uniform sample when the baseline was larger). */
  trainingRows: z.number().int().positive(),
  /** Flows in the baseline window. */
  baselineRows: z.number().int().positive(),
  /** The flow feature names the model reads (FlowV1.features keys). */
  featureNames: z.array(z.string().min(1)),
  /** Model columns: the numeric features with their scaler, then the encoded categorical fields. */
  columns: z.array(z.discriminatedUnion('kind', [NumericColumnJson, CategoricalColumnJson])).min(1),
  /** Per column: quantiles (every 5 %) of the scaled training values. */
  quantiles: z.array(z.array(z.number().finite()).length(QUANTILE_POINTS)),
  /** Per column: mean isolation credit of a training flow (see MODEL.md). */
  baselineCredit: z.array(z.number().finite().nonnegative()),
  /** Scores above this are anomalous. */
  threshold: z.number().gt(0).lt(1),
  /** Lowest score of each severity band; `low` is the threshold. */
  severity: z.object({ medium: z.number(), high: z.number(), critical: z.number() }),
  /** Score distribution on the training flows. */
  quality: z.object({
    min: z.number(),
    p50: z.number(),
    p90: z.number(),
    p99: z.number(),
    max: z.number(),
    /** Share of training flows above the threshold. */
    flaggedFraction: z.number().min(0).max(1),
  }),
  forest: ForestJson,
});
export type ModelJsonV1 = z.infer<typeof ModelJsonV1>;

export type ModelParseResult = { ok: true; model: Model } | { ok: false; code: 'MODEL.BAD_JSON'; reason: string };

/** A trained, immutable Isolation Forest model with its feature pipeline. */
export class Model {
  /** Compiled scoring layout (built once, shared by every Scorer of this model). */
  readonly layout: ScoringLayout;

  private constructor(
    private readonly json: ModelJsonV1,
    readonly forest: ForestData,
  ) {
    this.layout = compileForest(forest);
  }

  get id(): string {
    return this.json.id;
  }
  get version(): number {
    return this.json.version;
  }
  get sensorGroup(): string {
    return this.json.sensorGroup;
  }
  get featureNames(): readonly string[] {
    return this.json.featureNames;
  }
  get columns(): readonly Column[] {
    return this.json.columns;
  }
  get quantiles(): readonly (readonly number[])[] {
    return this.json.quantiles;
  }
  get baselineCredit(): readonly number[] {
    return this.json.baselineCredit;
  }
  get threshold(): number {
    return this.json.threshold;
  }
  get severityBands(): Readonly<ModelJsonV1['severity']> {
    return this.json.severity;
  }
  get params(): Readonly<ModelJsonV1['params']> {
    return this.json.params;
  }
  get trainingWindow(): Readonly<ModelJsonV1['trainingWindow']> {
    return this.json.trainingWindow;
  }
  get quality(): Readonly<ModelJsonV1['quality']> {
    return this.json.quality;
  }

  /** The same model with the registry version set (the id does not change). */
  withVersion(version: number): Model {
    return new Model({ ...this.json, version }, this.forest);
  }

  /** Plain JSON-safe object (compact: the trees are base64 typed arrays). */
  toJSON(): ModelJsonV1 {
    return this.json;
  }

  /**
   * Parses a stored model without throwing: schema, forest integrity, consistency with the
   * training parameters, and the id against the content hash (an edited model is refused).
   */
  static parse(raw: unknown): ModelParseResult {
    const p = ModelJsonV1.safeParse(raw);
    if (!p.success) {
      const i = p.error.issues[0];
      return badJson(i ? `${i.path.join('.')}: ${i.message}` : 'invalid model');
    }
    const j = p.data;
    const f = decodeForest(j.forest);
    if (!f.ok) return badJson(f.reason);
    const shape = shapeProblem(j, f.forest);
    if (shape) return badJson(shape);
    const { id: _id, version: _version, ...body } = j;
    const hash = modelId(body);
    if (hash !== j.id) return badJson(`id ${j.id} does not match the content (hash ${hash}): the model was changed after training`);
    return { ok: true, model: new Model(j, f.forest) };
  }

  /** Parses a model from JSON text (a file, a registry blob): not-JSON is MODEL.BAD_JSON too. */
  static parseText(text: string): ModelParseResult {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      return badJson(`not JSON: ${(e as Error).message}`);
    }
    return Model.parse(raw);
  }

  /** Loads a stored model; throws ModelError('MODEL.BAD_JSON') when it is not one. */
  static fromJSON(raw: unknown): Model {
    const r = Model.parse(raw);
    if (!r.ok) throw new ModelError(r.code, r.reason);
    return r.model;
  }

  /** @internal used by trainModel */
  static create(json: ModelJsonV1, forest: ForestData): Model {
    return new Model(json, forest);
  }
}

function badJson(reason: string): ModelParseResult {
  return { ok: false, code: 'MODEL.BAD_JSON', reason };
}

/**
 * The id of a model: `if-` + 16 hex of the SHA-256 of its JSON without `id` and `version`, keys in
 * ModelJsonV1's order (trainModel builds the body in that order; Model.parse's schema output has
 * it too, so a model loaded and stored again keeps its id).
 */
function modelId(body: Omit<ModelJsonV1, 'id' | 'version'>): string {
  return 'if-' + createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
}

/** Why a schema-valid model is not one trainModel could have written, or null. */
function shapeProblem(j: ModelJsonV1, forest: ForestData): string | null {
  const nCols = j.columns.length;
  if (forest.nCols !== nCols || j.quantiles.length !== nCols || j.baselineCredit.length !== nCols) {
    return 'column count differs between columns, quantiles, credit and forest';
  }
  const numeric = j.columns.filter((c) => c.kind === 'numeric').map((c) => c.name);
  if (numeric.length !== j.featureNames.length || numeric.some((n, i) => n !== j.featureNames[i])) {
    return 'featureNames differ from the numeric columns';
  }
  if (forest.nTrees !== j.params.nEstimators) return `forest has ${forest.nTrees} trees, params.nEstimators is ${j.params.nEstimators}`;
  // fitForest draws min(maxSamples, rows) rows per tree; c(ψ) normalises every score.
  const psi = Math.min(j.params.maxSamples, j.trainingRows);
  if (forest.subsampleSize !== psi) {
    return `forest.subsampleSize ${forest.subsampleSize} is not min(params.maxSamples ${j.params.maxSamples}, trainingRows ${j.trainingRows}) = ${psi}`;
  }
  if (j.trainingRows > j.baselineRows) return `trainingRows ${j.trainingRows} exceed baselineRows ${j.baselineRows}`;
  const s = j.severity;
  if (!(j.threshold < s.medium && s.medium < s.high && s.high < s.critical && s.critical < 1)) return 'severity bands do not rise from the threshold to below 1';
  return null;
}

/** A uniform sample of k flows (seeded partial Fisher-Yates), in their original order. */
function sampleFlows(flows: readonly FlowV1[], k: number, seed: number): FlowV1[] {
  const rng = new Prng(seed ^ 0x5bd1e995);
  const idx = new Int32Array(flows.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + rng.nextInt(idx.length - i);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  const chosen = idx.slice(0, k).sort();
  return Array.from(chosen, (i) => flows[i]);
}

/** Rows used to estimate the mean isolation credit of a training flow. */
const CREDIT_SAMPLE_ROWS = 2048;

/**
 * Trains a model on baseline flows: fits the feature pipeline, the forest, the threshold and
 * the explanation baselines. Throws ModelError (MODEL.NO_TRAINING_DATA, MODEL.BAD_OPTIONS).
 */
export function trainModel(flows: readonly FlowV1[], opts: TrainOptions = {}): Model {
  const nEstimators = opts.nEstimators ?? 100;
  const maxSamples = opts.maxSamples ?? 256;
  const contamination = opts.contamination ?? 'auto';
  const seed = opts.seed ?? 1;
  const sensorGroup = opts.sensorGroup ?? 'default';
  if (!Number.isInteger(nEstimators) || nEstimators < 1 || nEstimators > TRAIN_LIMITS.maxTrees) throw new ModelError('MODEL.BAD_OPTIONS', `nEstimators must be an integer in [1, ${TRAIN_LIMITS.maxTrees}]`);
  if (!Number.isInteger(maxSamples) || maxSamples < 2 || maxSamples > TRAIN_LIMITS.maxSamples) throw new ModelError('MODEL.BAD_OPTIONS', 'maxSamples must be an integer in [2, 2^20]');
  if (contamination !== 'auto' && !(contamination > 0 && contamination <= 0.5)) throw new ModelError('MODEL.BAD_OPTIONS', "contamination must be 'auto' or in (0, 0.5]");
  if (!Number.isInteger(seed) || seed < 0 || seed > TRAIN_LIMITS.maxSeed) throw new ModelError('MODEL.BAD_OPTIONS', 'seed must be an integer in [0, 2^32)');
  const maxRows = opts.maxTrainingRows ?? DEFAULT_MAX_TRAINING_ROWS;
  if (!Number.isInteger(maxRows) || maxRows < 2) throw new ModelError('MODEL.BAD_OPTIONS', 'maxTrainingRows must be an integer ≥ 2');
  if (flows.length < 2) throw new ModelError('MODEL.NO_TRAINING_DATA', `need at least 2 training flows, got ${flows.length}`);

  const baseline = flows;
  const fitFlows = baseline.length > maxRows ? sampleFlows(baseline, maxRows, seed) : baseline;
  const { featureNames, columns, x } = fitPipeline(fitFlows);
  const nRows = fitFlows.length;
  const nCols = columns.length;

  const forest = fitForest(x, nRows, nCols, { nEstimators, maxSamples, seed });
  const layout = compileForest(forest);
  const scores = new Float64Array(nRows);
  scoreRowsInto(layout, x, 0, nRows, scores, new Float64Array(SCORE_BLOCK_ROWS));
  const sorted = sortedCopy(scores);

  const threshold = contamination === 'auto' ? AUTO_THRESHOLD : Math.min(0.999, Math.max(0.001, quantileSorted(sorted, 1 - contamination)));
  let flagged = 0;
  for (let i = 0; i < nRows; i++) if (scores[i] > threshold) flagged++;
  const w = 1 - threshold;

  // Mean isolation credit per column over an evenly strided sample of the training rows.
  const credit = new Float64Array(nCols);
  const scratch = new Int32Array(forest.heightLimit + 1);
  const step = Math.max(1, Math.floor(nRows / CREDIT_SAMPLE_ROWS));
  let sampled = 0;
  for (let r = 0; r < nRows; r += step) {
    accumulatePathCredit(forest, x, r * nCols, credit, scratch);
    sampled++;
  }
  for (let c = 0; c < nCols; c++) credit[c] /= sampled;

  let start = Infinity;
  let end = -Infinity;
  for (const f of baseline) {
    if (f.start < start) start = f.start;
    if (f.end > end) end = f.end;
  }
  // Rebuilt so that the id hashes exactly what the schema keeps (its keys, in its order).
  const trainingWindow = opts.trainingWindow ? { start: opts.trainingWindow.start, end: opts.trainingWindow.end } : { start, end };

  const body: Omit<ModelJsonV1, 'id' | 'version'> = {
    format: MODEL_FORMAT,
    libraryVersion: LIBRARY_VERSION,
    sensorGroup,
    params: { nEstimators, maxSamples, contamination, seed },
    trainingWindow,
    trainingRows: nRows,
    baselineRows: baseline.length,
    featureNames,
    columns,
    quantiles: columnQuantiles(x, nRows, nCols),
    baselineCredit: Array.from(credit),
    threshold,
    severity: {
      medium: threshold + SEVERITY_BAND_FRACTIONS.medium * w,
      high: threshold + SEVERITY_BAND_FRACTIONS.high * w,
      critical: threshold + SEVERITY_BAND_FRACTIONS.critical * w,
    },
    quality: {
      min: sorted[0],
      p50: quantileSorted(sorted, 0.5),
      p90: quantileSorted(sorted, 0.9),
      p99: quantileSorted(sorted, 0.99),
      max: sorted[nRows - 1],
      flaggedFraction: flagged / nRows,
    },
    forest: encodeForest(forest),
  };
  return Model.create({ ...body, id: modelId(body), version: 0 }, forest);
}
