import type { FlowV1 } from '@netsentry/contracts';
import { quantileGrid, quantileSorted, sortedCopy } from './stats';

/**
 * The feature pipeline: FlowV1 → one row of model columns.
 *
 * Numeric columns are the flow's named features (FlowV1.features): heavy-tailed non-negative
 * ones go through log1p, then every numeric column is robust-scaled, (v − median) / IQR, with
 * median and IQR fitted on the training flows. Categorical fields become one column each,
 * frequency-encoded: the share of training flows with the same category (0 for a category never
 * seen). A rare protocol, service, state or port class is thus a small number that the forest
 * isolates quickly, and there is one column per field instead of dozens of one-hot columns that
 * would dilute the forest's random choice of split column.
 */

/** The categorical fields the pipeline encodes, in column order after the numeric ones. */
export const CATEGORICAL_FIELDS = ['proto', 'service', 'state', 'port_class'] as const;
export type CategoricalField = (typeof CATEGORICAL_FIELDS)[number];

export interface NumericColumn {
  kind: 'numeric';
  /** Flow feature name (key of FlowV1.features). */
  name: string;
  /** log1p(max(0, v)) before scaling. */
  log: boolean;
  /** Median of the (log-)transformed training values. */
  center: number;
  /** IQR of the transformed values (falls back to the range, then 1, when zero). */
  scale: number;
  /** Median of the raw training values (the explanation's baseline). */
  median: number;
}

export interface CategoricalColumn {
  kind: 'categorical';
  name: CategoricalField;
  /** Category → share of training flows, 0..1. */
  freq: Record<string, number>;
  /** Median encoded value over the training flows. */
  median: number;
}

export type Column = NumericColumn | CategoricalColumn;

/** Name hints for counts, sizes, durations and rates: heavy-tailed whenever non-negative. */
const HEAVY_TAIL_HINT = /(byte|packet|pkt|count|duration|iat|rate|\/s|length|size|active|idle|bulk|win|header)/i;

/** IANA port classes of the responder port. */
export function portClass(port: number, proto: number): string {
  if (proto !== 6 && proto !== 17 && proto !== 132) return 'none';
  if (port < 1024) return 'well_known';
  if (port < 49152) return 'registered';
  return 'dynamic';
}

export function categoryOf(flow: FlowV1, field: CategoricalField): string {
  switch (field) {
    case 'proto':
      return String(flow.proto);
    case 'service':
      return flow.service;
    case 'state':
      return flow.state;
    case 'port_class':
      return portClass(flow.dstPort, flow.proto);
  }
}

/** True when the record's first keys are `names`, in order (compared by identity). */
function sameOrder(feats: Record<string, number>, names: readonly string[]): boolean {
  const keys = Object.keys(feats);
  if (keys.length < names.length) return false;
  for (let i = 0; i < names.length; i++) if (keys[i] !== names[i]) return false;
  return true;
}

/**
 * Raw feature values of the flows, row-major with `width` ≥ names.length doubles per row (value
 * of flow r, name c at r * width + c), with per-name counts of flows where the value is absent
 * or not finite. One sequential pass; records whose keys start with `names` in order (the
 * producers' canonical order) are read positionally with Object.values, others by name.
 */
export function extractRaw(flows: readonly FlowV1[], names: readonly string[], width = names.length): { raw: Float64Array; bad: Uint32Array } {
  const n = flows.length;
  const d = names.length;
  const raw = new Float64Array(n * width);
  const bad = new Uint32Array(d);
  for (let r = 0; r < n; r++) {
    const feats = flows[r].features;
    const off = r * width;
    let c = 0;
    if (sameOrder(feats, names)) {
      const vals = Object.values(feats);
      for (; c < d; c++) {
        const v = vals[c];
        if (typeof v === 'number' && Number.isFinite(v)) raw[off + c] = v;
        else bad[c]++;
      }
    }
    for (; c < d; c++) {
      const v = feats[names[c]];
      if (typeof v === 'number' && Number.isFinite(v)) raw[off + c] = v;
      else bad[c]++;
    }
  }
  return { raw, bad };
}

/**
 * Fits the pipeline on training flows and returns the model's columns plus the training matrix
 * (row-major, already transformed). The model's feature list is the names present (and finite)
 * in every training flow, in the order of the first flow's record (producers emit a canonical
 * order). One matrix is allocated: raw values are read into it, then transformed and compacted
 * in place, row by row (sequential memory, no transposition of the whole matrix).
 */
export function fitPipeline(flows: readonly FlowV1[]): { featureNames: string[]; columns: Column[]; x: Float64Array } {
  const n = flows.length;
  const allNames = n > 0 ? Object.keys(flows[0].features) : [];
  const d = allNames.length;
  const nCat = CATEGORICAL_FIELDS.length;
  const W = d + nCat;
  const { raw: m, bad } = extractRaw(flows, allNames, W);
  const keep: number[] = [];
  for (let c = 0; c < d; c++) if (bad[c] === 0) keep.push(c);
  const nNum = keep.length;
  const featureNames = keep.map((c) => allNames[c]);

  // Quantiles (scaler, baselines) from an evenly strided sample of at most QUANTILE_SAMPLE rows;
  // extremes over every row.
  const step = Math.max(1, Math.ceil(n / QUANTILE_SAMPLE));
  const ns = Math.ceil(n / step);
  const sample = new Float64Array(nNum * ns); // column-major
  for (let r = 0, j = 0; r < n; r += step, j++) {
    const o = r * W;
    for (let k = 0; k < nNum; k++) sample[k * ns + j] = m[o + keep[k]];
  }
  const min = new Float64Array(nNum).fill(Infinity);
  const max = new Float64Array(nNum).fill(-Infinity);
  for (let r = 0; r < n; r++) {
    const o = r * W;
    for (let k = 0; k < nNum; k++) {
      const val = m[o + keep[k]];
      if (val < min[k]) min[k] = val;
      if (val > max[k]) max[k] = val;
    }
  }
  const columns: Column[] = [];
  for (let k = 0; k < nNum; k++) {
    const name = featureNames[k];
    const sorted = sortedCopy(sample.subarray(k * ns, (k + 1) * ns));
    sorted[0] = min[k]; // the extremes are exact whatever the sample
    sorted[ns - 1] = max[k];
    const median = quantileSorted(sorted, 0.5);
    const log = min[k] >= 0 && max[k] > 1 && (HEAVY_TAIL_HINT.test(name) || max[k] > 10 * (median + 1));
    const t = log ? sorted.map((x) => Math.log1p(x)) : sorted; // monotone: stays sorted
    const center = quantileSorted(t, 0.5);
    let scale = quantileSorted(t, 0.75) - quantileSorted(t, 0.25);
    if (!(scale > 0)) scale = t[ns - 1] - t[0];
    if (!(scale > 0)) scale = 1;
    columns.push({ kind: 'numeric', name, log, center, scale, median });
  }

  // Categorical fields: frequency of each category over every training flow.
  const catCode = new Float64Array(nCat * n); // encoded values, column-major
  const cats: string[] = new Array<string>(n);
  const v = new Float64Array(ns);
  for (const [j, field] of CATEGORICAL_FIELDS.entries()) {
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const cat = categoryOf(flows[i], field);
      cats[i] = cat;
      counts.set(cat, (counts.get(cat) ?? 0) + 1);
    }
    const freq: Record<string, number> = {};
    for (const [key, cnt] of [...counts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) freq[key] = cnt / n;
    for (let i = 0; i < n; i++) catCode[j * n + i] = freq[cats[i]];
    for (let i = 0, q = 0; i < n; i += step) v[q++] = catCode[j * n + i];
    columns.push({ kind: 'categorical', name: field, freq, median: quantileSorted(sortedCopy(v), 0.5) });
  }

  // Transform and compact in place: row r moves from r * W to r * nCols (nCols ≤ W). Within a
  // row, output k lands at or before input keep[k] ≥ k, and every input of the row is read
  // before a later output could overwrite it; row r + 1 starts beyond row r's output.
  const nCols = nNum + nCat;
  const isLog = new Uint8Array(nNum);
  const center = new Float64Array(nNum);
  const scale = new Float64Array(nNum);
  for (let k = 0; k < nNum; k++) {
    const col = columns[k] as NumericColumn;
    isLog[k] = col.log ? 1 : 0;
    center[k] = col.center;
    scale[k] = col.scale;
  }
  for (let r = 0; r < n; r++) {
    const src = r * W;
    const dst = r * nCols;
    for (let k = 0; k < nNum; k++) {
      let val = m[src + keep[k]];
      if (isLog[k] === 1) val = Math.log1p(val > 0 ? val : 0);
      m[dst + k] = (val - center[k]) / scale[k];
    }
    for (let j = 0; j < nCat; j++) m[dst + nNum + j] = catCode[j * n + r];
  }
  return { featureNames, columns, x: m.subarray(0, n * nCols) };
}

/**
 * Fills row `r` of the row-major matrix `out` from one flow. A feature the flow lacks (or a
 * non-finite value, which the FlowV1 schema already rejects) takes the training median, so it
 * neither isolates nor hides the flow. Returns the number of such substitutions.
 */
export function fillRow(cols: readonly Column[], flow: FlowV1, out: Float64Array, r: number): number {
  const nCols = cols.length;
  const off = r * nCols;
  const feats = flow.features;
  let missing = 0;
  // Fast path: producers emit the features in one canonical order, the model's order; read
  // them positionally (Object.values) after checking the key order, else look up by name.
  let c = 0;
  let nNum = 0;
  while (nNum < nCols && cols[nNum].kind === 'numeric') nNum++;
  if (nNum > 0 && sameOrder(feats, numericNames(cols, nNum))) {
    const vals = Object.values(feats);
    for (; c < nNum; c++) {
      const col = cols[c] as NumericColumn;
      let v = vals[c];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        missing++;
        out[off + c] = 0;
        continue;
      }
      if (col.log) v = Math.log1p(v > 0 ? v : 0);
      out[off + c] = (v - col.center) / col.scale;
    }
  }
  for (; c < nCols; c++) {
    const col = cols[c];
    if (col.kind === 'numeric') {
      let v = feats[col.name];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        missing++;
        out[off + c] = 0; // the scaled median
        continue;
      }
      if (col.log) v = Math.log1p(v > 0 ? v : 0);
      out[off + c] = (v - col.center) / col.scale;
    } else {
      out[off + c] = col.freq[categoryOf(flow, col.name)] ?? 0;
    }
  }
  return missing;
}

const namesCache = new WeakMap<readonly Column[], string[]>();
function numericNames(cols: readonly Column[], nNum: number): string[] {
  let names = namesCache.get(cols);
  if (!names) {
    names = cols.slice(0, nNum).map((c) => c.name);
    namesCache.set(cols, names);
  }
  return names;
}

/** The value a person reads for column c of a flow: the raw feature, or the category's share. */
export function displayValue(col: Column, flow: FlowV1): { name: string; value: number } {
  if (col.kind === 'numeric') {
    const v = flow.features[col.name];
    return { name: col.name, value: typeof v === 'number' && Number.isFinite(v) ? v : col.median };
  }
  const cat = categoryOf(flow, col.name);
  return { name: `${col.name}=${cat}`, value: col.freq[cat] ?? 0 };
}

/** Rows sampled (evenly strided) for quantiles at training time. */
export const QUANTILE_SAMPLE = 16384;

/**
 * Quantile grid (every 5 %) of each column of a row-major matrix, from an evenly strided sample
 * of at most QUANTILE_SAMPLE rows; the 0 % and 100 % points are the exact minimum and maximum.
 */
export function columnQuantiles(x: Float64Array, nRows: number, nCols: number): number[][] {
  const step = Math.max(1, Math.ceil(nRows / QUANTILE_SAMPLE));
  const m = Math.ceil(nRows / step);
  // row-major passes only (sequential memory): extremes over every row, then the sampled rows
  const min = new Float64Array(nCols).fill(Infinity);
  const max = new Float64Array(nCols).fill(-Infinity);
  for (let r = 0; r < nRows; r++) {
    const o = r * nCols;
    for (let c = 0; c < nCols; c++) {
      const val = x[o + c];
      if (val < min[c]) min[c] = val;
      if (val > max[c]) max[c] = val;
    }
  }
  const sample = new Float64Array(m * nCols); // column-major
  for (let r = 0, j = 0; r < nRows; r += step, j++) {
    const o = r * nCols;
    for (let c = 0; c < nCols; c++) sample[c * m + j] = x[o + c];
  }
  const grids: number[][] = [];
  for (let c = 0; c < nCols; c++) {
    const grid = quantileGrid(sortedCopy(sample.subarray(c * m, (c + 1) * m)));
    grid[0] = min[c];
    grid[grid.length - 1] = max[c];
    grids.push(grid);
  }
  return grids;
}
