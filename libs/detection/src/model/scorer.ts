import { flowOfBatch, FLOW_STATES, type FlowBatchV1, type FlowV1, type Severity, type TopFeatureV1 } from '@netsentry/contracts';
import { FLOW_FEATURE_NAMES } from '@netsentry/flows';
import { accumulatePathCredit, scoreRowsInto, SCORE_BLOCK_ROWS } from '../forest';
import { displayValue, fillRow, type NumericColumn } from './features';
import type { Model } from './model';
import { ModelError } from './model.errors';
import { cdfFromGrid } from './stats';

/** What the model says about one flow. */
export interface ScoreResult {
  /** Isolation Forest score in (0, 1], higher is more anomalous. */
  score: number;
  /** score > model.threshold */
  anomalous: boolean;
  /** Band of the score when anomalous, else null. */
  severity: Severity | null;
  /** For anomalous flows: the features that isolated it, largest contribution first (else empty). */
  topFeatures: TopFeatureV1[];
}

export interface ScorerOptions {
  /**
   * The running code's flow feature names; default FLOW_FEATURE_NAMES of @netsentry/flows. The
   * constructor refuses (MODEL.FEATURES_MISMATCH) a model trained on a different list. 'any'
   * skips the check (tools that score models on other feature sets, tests).
   */
  featureNames?: readonly string[] | 'any';
  /** Most features listed per anomaly (default 5, at most 32). */
  maxTopFeatures?: number;
}

/** Severity band of a score under a model, or null when the score is not anomalous. */
export function severityOf(model: Model, score: number): Severity | null {
  if (!(score > model.threshold)) return null;
  const b = model.severityBands;
  if (score >= b.critical) return 'critical';
  if (score >= b.high) return 'high';
  if (score >= b.medium) return 'medium';
  return 'low';
}

/** Same names, in any order. */
export function sameFeatureList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return s.size === a.length && b.every((n) => s.has(n));
}

/**
 * Scores flows with one model. Holds preallocated buffers: one Scorer per thread of work,
 * not shared between concurrent callers.
 */
export class Scorer {
  private readonly nCols: number;
  private readonly maxTop: number;
  private row: Float64Array;
  private rowOut = new Float64Array(1);
  private readonly acc = new Float64Array(SCORE_BLOCK_ROWS);
  private readonly credit: Float64Array;
  private readonly raw: Float64Array;
  private readonly top = new Int32Array(32);
  private readonly scratch: Int32Array;
  /** scoreFlowBatch's matrix, reused across calls. */
  private mat = new Float64Array(0);
  /** Flows that lacked a model feature (filled with the training median). */
  missingFeatureValues = 0;

  constructor(
    readonly model: Model,
    opts: ScorerOptions = {},
  ) {
    const expected = opts.featureNames ?? FLOW_FEATURE_NAMES;
    if (expected !== 'any' && !sameFeatureList(model.featureNames, expected)) {
      const extra = model.featureNames.filter((n) => !expected.includes(n));
      const lacking = expected.filter((n) => !model.featureNames.includes(n));
      throw new ModelError(
        'MODEL.FEATURES_MISMATCH',
        `model ${model.id} was trained on a different feature list (only in model: ${extra.join(',') || '-'}; only in code: ${lacking.join(',') || '-'})`,
      );
    }
    this.nCols = model.columns.length;
    this.maxTop = Math.min(32, Math.max(1, opts.maxTopFeatures ?? 5));
    this.row = new Float64Array(this.nCols);
    this.credit = new Float64Array(this.nCols);
    this.raw = new Float64Array(this.nCols);
    this.scratch = new Int32Array(model.forest.heightLimit + 1);
  }

  /** Scores one flow (and explains it when anomalous). */
  score(flow: FlowV1): ScoreResult {
    this.missingFeatureValues += fillRow(this.model.columns, flow, this.row, 0);
    scoreRowsInto(this.model.layout, this.row, 0, 1, this.rowOut, this.acc);
    return this.result(flow, this.row, 0, this.rowOut[0]);
  }

  /** Scores many flows in one pass over the forest (faster than score() per flow). */
  scoreBatch(flows: readonly FlowV1[]): ScoreResult[] {
    const n = flows.length;
    const x = this.toMatrix(flows);
    const scores = new Float64Array(n);
    scoreRowsInto(this.model.layout, x, 0, n, scores, this.acc);
    const out: ScoreResult[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.result(flows[i], x, i * this.nCols, scores[i]);
    return out;
  }

  /** Row-major matrix of model columns for the flows (for bulk scoring or the worker pool). */
  toMatrix(flows: readonly FlowV1[], into?: Float64Array): Float64Array {
    const n = flows.length;
    const x = into && into.length >= n * this.nCols ? into : new Float64Array(n * this.nCols);
    for (let i = 0; i < n; i++) this.missingFeatureValues += fillRow(this.model.columns, flows[i], x, i);
    return x;
  }

  /**
   * Row-major matrix of model columns straight from a decoded flow batch's columns (no FlowV1
   * objects): the same values toMatrix gives for the same flows. Categorical codes are looked up
   * once per distinct value of the batch (its service list, the states, the protocols seen).
   */
  batchMatrix(b: FlowBatchV1, into?: Float64Array): Float64Array {
    const cols = this.model.columns;
    const nCols = this.nCols;
    const n = b.count;
    const d = b.featureNames.length;
    const x = into && into.length >= n * nCols ? into : new Float64Array(n * nCols);
    const byName = new Map<string, number>();
    for (let j = 0; j < d; j++) byName.set(b.featureNames[j], j);
    const feats = b.features;
    // One plan per column, then the rows in tiles of 64: a column at a time over the whole batch
    // strode ~700 bytes per row through ~0.7 MB of features and matrix; tiles keep both in cache
    // (with the log1p skip below, 465 -> 420 ns per flood flow). Every value is computed as before.
    const kind = new Int8Array(nCols); // 0 absent, 1 numeric, 2 numeric log-scaled, 3 categorical by row (table)
    const src = new Int32Array(nCols);
    const center = new Float64Array(nCols);
    const scale = new Float64Array(nCols);
    const atZero = new Float64Array(nCols);
    const tables: (Float64Array | null)[] = new Array<Float64Array | null>(nCols).fill(null);
    for (let c = 0; c < nCols; c++) {
      const col = cols[c];
      if (col.kind === 'numeric') {
        const j = byName.get(col.name) ?? -1;
        if (j < 0) {
          // absent from the batch: the scaled median, as fillRow does
          this.missingFeatureValues += n;
          continue;
        }
        const nc = col as NumericColumn;
        kind[c] = nc.log ? 2 : 1;
        src[c] = j;
        center[c] = nc.center;
        scale[c] = nc.scale;
        // Most values of a flood's flows are 0: log1p(0) is 0, so their scaled value is this constant.
        atZero[c] = (0 - nc.center) / nc.scale;
        continue;
      }
      kind[c] = 3;
      tables[c] = this.categoryTable(col.name, col.freq, b);
    }
    const TILE = 64;
    for (let r0 = 0; r0 < n; r0 += TILE) {
      const r1 = Math.min(n, r0 + TILE);
      for (let c = 0; c < nCols; c++) {
        const k = kind[c];
        if (k === 1) {
          const j = src[c];
          const ce = center[c];
          const sc = scale[c];
          for (let r = r0; r < r1; r++) x[r * nCols + c] = (feats[r * d + j] - ce) / sc;
        } else if (k === 2) {
          const j = src[c];
          const ce = center[c];
          const sc = scale[c];
          const z = atZero[c];
          for (let r = r0; r < r1; r++) {
            const v = feats[r * d + j];
            x[r * nCols + c] = v > 0 ? (Math.log1p(v) - ce) / sc : z;
          }
        } else if (k === 3) {
          const t = tables[c]!;
          for (let r = r0; r < r1; r++) x[r * nCols + c] = t[r];
        } else {
          for (let r = r0; r < r1; r++) x[r * nCols + c] = 0;
        }
      }
    }
    return x;
  }

  /** A categorical column's code for every row of the batch (codes looked up once per distinct value). */
  private categoryTable(name: string, freq: Record<string, number>, b: FlowBatchV1): Float64Array {
    const n = b.count;
    const out = new Float64Array(n);
    const code = (cat: string): number => freq[cat] ?? 0;
    switch (name) {
      case 'proto': {
        const t = new Float64Array(256).fill(Number.NaN);
        for (let r = 0; r < n; r++) {
          const p = b.proto[r];
          let v = t[p];
          if (v !== v) v = t[p] = code(String(p));
          out[r] = v;
        }
        break;
      }
      case 'service': {
        const t = b.services.map(code);
        for (let r = 0; r < n; r++) out[r] = t[b.service[r]];
        break;
      }
      case 'state': {
        const t = FLOW_STATES.map(code);
        for (let r = 0; r < n; r++) out[r] = t[b.state[r]];
        break;
      }
      case 'port_class': {
        const none = code('none');
        const wk = code('well_known');
        const reg = code('registered');
        const dyn = code('dynamic');
        for (let r = 0; r < n; r++) {
          const p = b.proto[r];
          const port = b.dstPort[r];
          out[r] = p !== 6 && p !== 17 && p !== 132 ? none : port < 1024 ? wk : port < 49152 ? reg : dyn;
        }
        break;
      }
    }
    return out;
  }

  /**
   * Scores a decoded flow batch from its columns. Returns every score, and a result (with its
   * explanation and the flow as a FlowV1) only for the anomalous rows: the only ones that need
   * an object.
   */
  scoreFlowBatch(b: FlowBatchV1): { scores: Float64Array; anomalies: { index: number; flow: FlowV1; result: ScoreResult }[] } {
    const n = b.count;
    // The matrix lives only during this call (the explanations are made here): one per Scorer,
    // grown as needed, rather than a fresh n × nCols block per batch (~0.7 kB of external memory
    // per flow, which drives V8 into full collections on its helper threads).
    if (this.mat.length < n * this.nCols) this.mat = new Float64Array(n * this.nCols);
    const x = this.batchMatrix(b, this.mat);
    const scores = new Float64Array(n);
    scoreRowsInto(this.model.layout, x, 0, n, scores, this.acc);
    const anomalies: { index: number; flow: FlowV1; result: ScoreResult }[] = [];
    const threshold = this.model.threshold;
    for (let i = 0; i < n; i++) {
      if (!(scores[i] > threshold)) continue;
      const flow = flowOfBatch(b, i);
      anomalies.push({ index: i, flow, result: this.result(flow, x, i * this.nCols, scores[i]) });
    }
    return { scores, anomalies };
  }

  /** Scores only (no explanations) for nRows rows of a matrix built by toMatrix. */
  scoreMatrix(x: Float64Array, nRows: number, out: Float64Array = new Float64Array(nRows)): Float64Array {
    scoreRowsInto(this.model.layout, x, 0, nRows, out, this.acc);
    return out;
  }

  private result(flow: FlowV1, x: Float64Array, off: number, score: number): ScoreResult {
    const severity = severityOf(this.model, score);
    if (severity === null) return { score, anomalous: false, severity: null, topFeatures: [] };
    return { score, anomalous: true, severity, topFeatures: this.explain(flow, x, off) };
  }

  /**
   * Top features of one row (method in libs/detection/MODEL.md): the isolation credit of each
   * column on this row's paths above its training mean, weighted by how far the value sits in
   * the tails of the training distribution; normalised to contributions summing to 1.
   */
  explain(flow: FlowV1, x: Float64Array, off: number): TopFeatureV1[] {
    const m = this.model;
    const nCols = this.nCols;
    const credit = this.credit;
    const raw = this.raw;
    credit.fill(0);
    accumulatePathCredit(m.forest, x, off, credit, this.scratch);
    const base = m.baselineCredit;
    const q = m.quantiles;
    let sum = 0;
    for (let c = 0; c < nCols; c++) {
      const iso = credit[c] - base[c];
      raw[c] = iso > 0 ? iso * (0.25 + 0.75 * Math.abs(2 * cdfFromGrid(q[c], x[off + c]) - 1)) : 0;
      sum += raw[c];
    }
    if (!(sum > 0)) {
      // Nothing was cut shorter than usual: fall back to the deviation alone.
      for (let c = 0; c < nCols; c++) {
        raw[c] = Math.abs(2 * cdfFromGrid(q[c], x[off + c]) - 1);
        sum += raw[c];
      }
    }
    if (!(sum > 0)) return [];
    // top-k by repeated selection (k ≤ 32, nCols ~ 100): no sort, no per-column allocation
    const top = this.top;
    let k = 0;
    for (; k < this.maxTop; k++) {
      let best = -1;
      for (let c = 0; c < nCols; c++) {
        if (raw[c] > 0 && (best < 0 || raw[c] > raw[best])) {
          let taken = false;
          for (let j = 0; j < k; j++) if (top[j] === c) taken = true;
          if (!taken) best = c;
        }
      }
      if (best < 0) break;
      top[k] = best;
    }
    const out: TopFeatureV1[] = new Array(k);
    for (let j = 0; j < k; j++) {
      const c = top[j];
      const col = m.columns[c];
      const { name, value } = displayValue(col, flow);
      out[j] = { name, value, baseline: col.median, contribution: Math.min(1, raw[c] / sum) };
    }
    return out;
  }
}
