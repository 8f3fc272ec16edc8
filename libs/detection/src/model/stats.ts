/** Small numeric helpers shared by training and explanation; none of them is on a hot path. */

/** Linear-interpolated quantile of sorted values (numpy's default method), q in [0, 1]. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const pos = (n - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function sortedCopy(values: ArrayLike<number>): Float64Array {
  // new Float64Array(typedArray) is a memcpy; Float64Array.from() walks an iterator
  const s = values instanceof Float64Array ? values.slice() : new Float64Array(Array.prototype.slice.call(values) as number[]);
  s.sort();
  return s;
}

/** Number of stored quantiles per column: every 5 %, 0 % (min) to 100 % (max). */
export const QUANTILE_POINTS = 21;

export function quantileGrid(sorted: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < QUANTILE_POINTS; i++) out.push(quantileSorted(sorted, i / (QUANTILE_POINTS - 1)));
  return out;
}

/**
 * Empirical CDF at v from a quantile grid (linear between grid points): 0 at or below the
 * training minimum, 1 at or above the maximum. Flat stretches (ties) give their midpoint.
 */
export function cdfFromGrid(grid: readonly number[], v: number): number {
  const n = grid.length;
  if (n === 0 || !(v === v)) return 0.5;
  if (v < grid[0]) return 0;
  if (v > grid[n - 1]) return 1;
  // lo: first index with grid[lo] >= v (binary search); hi: last index with grid[hi] <= v
  let lo = 0;
  let hiSearch = n - 1;
  while (lo < hiSearch) {
    const m = (lo + hiSearch) >> 1;
    if (grid[m] < v) lo = m + 1;
    else hiSearch = m;
  }
  let hi = lo;
  while (hi + 1 < n && grid[hi + 1] <= v) hi++;
  if (lo < n && grid[lo] === v) return (lo + hi) / 2 / (n - 1);
  // grid[lo - 1] < v < grid[lo]
  const a = grid[lo - 1];
  const b = grid[lo];
  return (lo - 1 + (v - a) / (b - a)) / (n - 1);
}

/** Spearman rank correlation (average ranks for ties). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ra = ranks(a);
  const rb = ranks(b);
  return pearson(ra, rb);
}

export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

export function ranks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((i, j) => v[i] - v[j]);
  const r = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && v[idx[j + 1]] === v[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

/** ROC AUC of scores against 0/1 labels (Mann-Whitney with average ranks for ties). */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const r = ranks(scores);
  let pos = 0;
  let sumPos = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]) {
      pos++;
      sumPos += r[i];
    }
  }
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) return 0.5;
  return (sumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}
