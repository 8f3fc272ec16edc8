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

/**
 * The model's feature list: the names present in every training flow, in the order of the
 * first flow's record (producers emit them in their canonical order).
 */
export function sharedFeatureNames(flows: readonly FlowV1[]): string[] {
  if (flows.length === 0) return [];
  const names = Object.keys(flows[0].features);
  return names.filter((n) => flows.every((f) => typeof f.features[n] === 'number' && Number.isFinite(f.features[n])));
}

export function fitColumns(flows: readonly FlowV1[], featureNames: readonly string[]): Column[] {
  const n = flows.length;
  const cols: Column[] = [];
  const raw = new Float64Array(n);
  for (const name of featureNames) {
    let min = Infinity;
    for (let i = 0; i < n; i++) {
      raw[i] = flows[i].features[name];
      if (raw[i] < min) min = raw[i];
    }
    const sorted = sortedCopy(raw);
    const median = quantileSorted(sorted, 0.5);
    const max = sorted[n - 1];
    const log = min >= 0 && max > 1 && (HEAVY_TAIL_HINT.test(name) || max > 10 * (median + 1));
    const t = log ? sorted.map((v) => Math.log1p(v)) : sorted; // monotone: stays sorted
    const center = quantileSorted(t, 0.5);
    let scale = quantileSorted(t, 0.75) - quantileSorted(t, 0.25);
    if (!(scale > 0)) scale = t[n - 1] - t[0];
    if (!(scale > 0)) scale = 1;
    cols.push({ kind: 'numeric', name, log, center, scale, median });
  }
  for (const field of CATEGORICAL_FIELDS) {
    const counts = new Map<string, number>();
    for (const f of flows) {
      const c = categoryOf(f, field);
      counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    const freq: Record<string, number> = {};
    for (const [k, v] of [...counts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) freq[k] = v / n;
    const enc = new Float64Array(n);
    for (let i = 0; i < n; i++) enc[i] = freq[categoryOf(flows[i], field)];
    cols.push({ kind: 'categorical', name: field, freq, median: quantileSorted(sortedCopy(enc), 0.5) });
  }
  return cols;
}

/**
 * Fills row `r` of the row-major matrix `out` from one flow. A feature the flow lacks (or a
 * non-finite value, which the FlowV1 schema already rejects) takes the training median, so it
 * neither isolates nor hides the flow. Returns the number of such substitutions.
 */
export function fillRow(cols: readonly Column[], flow: FlowV1, out: Float64Array, r: number): number {
  const nCols = cols.length;
  const off = r * nCols;
  let missing = 0;
  for (let c = 0; c < nCols; c++) {
    const col = cols[c];
    if (col.kind === 'numeric') {
      let v = flow.features[col.name];
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

/** The value a person reads for column c of a flow: the raw feature, or the category's share. */
export function displayValue(col: Column, flow: FlowV1): { name: string; value: number } {
  if (col.kind === 'numeric') {
    const v = flow.features[col.name];
    return { name: col.name, value: typeof v === 'number' && Number.isFinite(v) ? v : col.median };
  }
  const cat = categoryOf(flow, col.name);
  return { name: `${col.name}=${cat}`, value: col.freq[cat] ?? 0 };
}

/** Quantile grid (every 5 %) of each column of a row-major matrix. */
export function columnQuantiles(x: Float64Array, nRows: number, nCols: number): number[][] {
  const grids: number[][] = [];
  const v = new Float64Array(nRows);
  for (let c = 0; c < nCols; c++) {
    for (let r = 0; r < nRows; r++) v[r] = x[r * nCols + c];
    grids.push(quantileGrid(sortedCopy(v)));
  }
  return grids;
}
