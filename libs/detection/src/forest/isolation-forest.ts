import { Prng } from './prng';

/**
 * Isolation Forest (Liu, Ting & Zhou, "Isolation Forest", ICDM 2008).
 *
 * Mechanism only: numbers in, numbers out. The flow feature pipeline, thresholds and
 * explanations live in ../model. Rows are a row-major Float64Array matrix (row r, column c
 * at r * nCols + c).
 *
 * Trees are flat typed arrays shared by all trees of the forest (struct of arrays):
 *   feature[n]  split column, or -1 for a leaf
 *   value[n]    split threshold (x <= value goes left), or for a leaf the path length
 *               depth + c(size) it contributes, precomputed so scoring is one add per tree
 *   left[n]     index of the left child; the right child is always left[n] + 1
 *   size[n]     number of subsample rows that reached the node during training
 * roots[t] is the index of tree t's root.
 */
export interface ForestData {
  /** Number of trees. */
  readonly nTrees: number;
  /** Number of columns of the rows the forest was trained on (and must score). */
  readonly nCols: number;
  /** Rows per tree actually used: min(maxSamples, training rows). */
  readonly subsampleSize: number;
  /** Height limit ceil(log2(subsampleSize)). */
  readonly heightLimit: number;
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly value: Float64Array;
  readonly left: Int32Array;
  readonly size: Int32Array;
}

export interface ForestParams {
  /** Number of trees (default 100). */
  nEstimators: number;
  /** Subsample size per tree (default 256); capped at the number of rows. */
  maxSamples: number;
  /** Seed of the generator: same seed and data, same forest. */
  seed: number;
}

export const DEFAULT_FOREST_PARAMS: ForestParams = { nEstimators: 100, maxSamples: 256, seed: 1 };

/**
 * Height limit of trees grown on ψ-row subsamples: ceil(log2 ψ) (the paper's choice; 8 for 256).
 * Every scoring walk takes exactly this many steps, so a stored forest must carry this value.
 */
export function heightLimitFor(subsampleSize: number): number {
  return Math.ceil(Math.log2(Math.max(subsampleSize, 2)));
}

const EULER_GAMMA = 0.5772156649015329;

/**
 * c(n): average path length of an unsuccessful search in a binary search tree of n points
 * (the paper's normaliser, also the correction added at a leaf that still holds n > 1 rows).
 * Same definition as scikit-learn's `_average_path_length`.
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** Trains a forest on `nRows` rows of `x`. Throws only on a programming error (bad shapes). */
export function fitForest(x: Float64Array, nRows: number, nCols: number, params: Partial<ForestParams> = {}): ForestData {
  const p = { ...DEFAULT_FOREST_PARAMS, ...params };
  if (!Number.isInteger(nRows) || !Number.isInteger(nCols) || nRows < 1 || nCols < 1) {
    throw new RangeError(`fitForest: need at least one row and one column, got ${nRows}x${nCols}`);
  }
  if (x.length < nRows * nCols) throw new RangeError('fitForest: matrix shorter than nRows * nCols');
  if (!Number.isInteger(p.nEstimators) || p.nEstimators < 1) throw new RangeError('fitForest: nEstimators must be a positive integer');
  if (!Number.isInteger(p.maxSamples) || p.maxSamples < 2) throw new RangeError('fitForest: maxSamples must be an integer ≥ 2');

  const psi = Math.min(p.maxSamples, nRows);
  const heightLimit = heightLimitFor(psi);
  const maxNodesPerTree = 2 * psi - 1;
  const cap = p.nEstimators * maxNodesPerTree;
  const feature = new Int32Array(cap);
  const value = new Float64Array(cap);
  const left = new Int32Array(cap);
  const size = new Int32Array(cap);
  const roots = new Int32Array(p.nEstimators);

  const rng = new Prng(p.seed);
  // A running permutation of all row indices: a partial Fisher-Yates shuffle of its first psi
  // slots draws a uniform sample without replacement in O(psi) per tree.
  const perm = new Int32Array(nRows);
  for (let i = 0; i < nRows; i++) perm[i] = i;
  const idx = new Int32Array(psi);
  const cols = new Int32Array(nCols);
  let next = 0;

  const build = (node: number, lo: number, hi: number, depth: number): void => {
    const n = hi - lo;
    size[node] = n;
    feature[node] = -1;
    left[node] = -1;
    if (depth >= heightLimit || n <= 1) {
      value[node] = depth + averagePathLength(n);
      return;
    }
    // Random column among those not constant in this node (as scikit-learn's random splitter).
    for (let c = 0; c < nCols; c++) cols[c] = c;
    let remaining = nCols;
    let f = -1;
    let min = 0;
    let max = 0;
    while (remaining > 0) {
      const j = rng.nextInt(remaining);
      const c = cols[j];
      cols[j] = cols[remaining - 1];
      remaining--;
      min = Infinity;
      max = -Infinity;
      for (let i = lo; i < hi; i++) {
        const v = x[idx[i] * nCols + c];
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (max > min) {
        f = c;
        break;
      }
    }
    if (f < 0) {
      value[node] = depth + averagePathLength(n);
      return;
    }
    let thr = min + rng.nextFloat() * (max - min);
    if (!(thr < max) || thr < min) thr = min; // rounding: keep both sides non-empty
    // Partition idx[lo, hi) into x <= thr | x > thr.
    let a = lo;
    let b = hi - 1;
    while (a <= b) {
      if (x[idx[a] * nCols + f] <= thr) a++;
      else {
        const t = idx[a];
        idx[a] = idx[b];
        idx[b] = t;
        b--;
      }
    }
    const l = next;
    next += 2;
    feature[node] = f;
    value[node] = thr;
    left[node] = l;
    build(l, lo, a, depth + 1);
    build(l + 1, a, hi, depth + 1);
  };

  for (let t = 0; t < p.nEstimators; t++) {
    for (let i = 0; i < psi; i++) {
      const j = i + rng.nextInt(nRows - i);
      const v = perm[j];
      perm[j] = perm[i];
      perm[i] = v;
      idx[i] = v;
    }
    const root = next++;
    roots[t] = root;
    build(root, 0, psi, 0);
  }

  return {
    nTrees: p.nEstimators,
    nCols,
    subsampleSize: psi,
    heightLimit,
    roots,
    feature: feature.slice(0, next),
    value: value.slice(0, next),
    left: left.slice(0, next),
    size: size.slice(0, next),
  };
}

/**
 * The scoring layout compiled from a forest: every walk takes exactly `heightLimit` steps
 * without a data-dependent branch. A leaf points to itself with threshold +Infinity (x > +Inf
 * is false for every x, NaN included), so a walk that reaches a leaf early stays there. The
 * step is `n = child[n] + (x[feat[n]] > thr[n])`, which V8 compiles to a compare-and-set rather
 * than a branch the CPU would mispredict half the time.
 *
 * When the forest is small enough (the usual case: < 2^21 nodes, < 2^11 columns) child and
 * column share one Int32 (`node = child << 11 | column`), one load fewer per step.
 */
export interface ScoringLayout {
  readonly nTrees: number;
  readonly nCols: number;
  readonly heightLimit: number;
  /** −ln 2 / (nTrees · c(ψ)): score = exp(Σ_t h_t · k). */
  readonly k: number;
  readonly roots: Int32Array;
  readonly feat: Int32Array;
  readonly thr: Float64Array;
  readonly child: Int32Array;
  readonly leaf: Float64Array;
  /** child << PACK_FEAT_BITS | column, or null when the forest is too large to pack. */
  readonly packed: Int32Array | null;
}

export const PACK_FEAT_BITS = 11;

export function compileForest(forest: ForestData): ScoringLayout {
  const n = forest.feature.length;
  const feat = new Int32Array(n);
  const thr = new Float64Array(n);
  const child = new Int32Array(n);
  const leaf = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (forest.feature[i] < 0) {
      feat[i] = 0;
      thr[i] = Infinity;
      child[i] = i;
      leaf[i] = forest.value[i];
    } else {
      feat[i] = forest.feature[i];
      thr[i] = forest.value[i];
      child[i] = forest.left[i];
    }
  }
  let packed: Int32Array | null = null;
  if (n < 1 << (31 - PACK_FEAT_BITS) && forest.nCols <= 1 << PACK_FEAT_BITS) {
    packed = new Int32Array(n);
    for (let i = 0; i < n; i++) packed[i] = (child[i] << PACK_FEAT_BITS) | feat[i];
  }
  return {
    nTrees: forest.nTrees,
    nCols: forest.nCols,
    heightLimit: forest.heightLimit,
    k: -Math.LN2 / (forest.nTrees * averagePathLength(forest.subsampleSize)),
    roots: forest.roots,
    feat,
    thr,
    child,
    leaf,
    packed,
  };
}

/** Rows scored together: their values (≤ 64 × nCols doubles) and one tree stay in cache. */
export const SCORE_BLOCK_ROWS = 64;

/**
 * Scores rows [from, to) of the row-major matrix `x` into out[from, to):
 * s = 2^(−E[h(x)] / c(ψ)) in (0, 1], higher is more anomalous. Packed layout.
 *
 * Allocation-free; `acc` is caller-owned scratch of at least SCORE_BLOCK_ROWS doubles.
 * Tree-major over blocks of rows, four independent walks interleaved so their loads overlap.
 * This function must stay self-contained (no outside references): the worker pool ships its
 * source text to worker threads.
 */
export function scoreKernel(
  roots: Int32Array,
  node: Int32Array,
  thr: Float64Array,
  leaf: Float64Array,
  nTrees: number,
  height: number,
  k: number,
  nCols: number,
  x: Float64Array,
  from: number,
  to: number,
  out: Float64Array,
  acc: Float64Array,
): void {
  const B = 64;
  const SHIFT = 11;
  const MASK = 2047;
  for (let r0 = from; r0 < to; r0 += B) {
    const nb = Math.min(to - r0, B);
    for (let i = 0; i < nb; i++) acc[i] = 0;
    for (let t = 0; t < nTrees; t++) {
      const rt = roots[t];
      let i = 0;
      for (; i + 4 <= nb; i += 4) {
        const o0 = (r0 + i) * nCols;
        const o1 = o0 + nCols;
        const o2 = o1 + nCols;
        const o3 = o2 + nCols;
        let m0 = rt;
        let m1 = rt;
        let m2 = rt;
        let m3 = rt;
        for (let s = 0; s < height; s++) {
          const p0 = node[m0];
          const p1 = node[m1];
          const p2 = node[m2];
          const p3 = node[m3];
          m0 = (p0 >>> SHIFT) + (((x[o0 + (p0 & MASK)] > thr[m0]) as unknown as number) | 0);
          m1 = (p1 >>> SHIFT) + (((x[o1 + (p1 & MASK)] > thr[m1]) as unknown as number) | 0);
          m2 = (p2 >>> SHIFT) + (((x[o2 + (p2 & MASK)] > thr[m2]) as unknown as number) | 0);
          m3 = (p3 >>> SHIFT) + (((x[o3 + (p3 & MASK)] > thr[m3]) as unknown as number) | 0);
        }
        acc[i] += leaf[m0];
        acc[i + 1] += leaf[m1];
        acc[i + 2] += leaf[m2];
        acc[i + 3] += leaf[m3];
      }
      for (; i < nb; i++) {
        const o = (r0 + i) * nCols;
        let m = rt;
        for (let s = 0; s < height; s++) {
          const p = node[m];
          m = (p >>> SHIFT) + (((x[o + (p & MASK)] > thr[m]) as unknown as number) | 0);
        }
        acc[i] += leaf[m];
      }
    }
    for (let i = 0; i < nb; i++) out[r0 + i] = Math.exp(acc[i] * k);
  }
}

/** The same walk over the unpacked layout, for forests too large to pack. Self-contained too. */
export function scoreKernelWide(
  roots: Int32Array,
  feat: Int32Array,
  child: Int32Array,
  thr: Float64Array,
  leaf: Float64Array,
  nTrees: number,
  height: number,
  k: number,
  nCols: number,
  x: Float64Array,
  from: number,
  to: number,
  out: Float64Array,
  acc: Float64Array,
): void {
  const B = 64;
  for (let r0 = from; r0 < to; r0 += B) {
    const nb = Math.min(to - r0, B);
    for (let i = 0; i < nb; i++) acc[i] = 0;
    for (let t = 0; t < nTrees; t++) {
      const rt = roots[t];
      for (let i = 0; i < nb; i++) {
        const o = (r0 + i) * nCols;
        let m = rt;
        for (let s = 0; s < height; s++) m = child[m] + (((x[o + feat[m]] > thr[m]) as unknown as number) | 0);
        acc[i] += leaf[m];
      }
    }
    for (let i = 0; i < nb; i++) out[r0 + i] = Math.exp(acc[i] * k);
  }
}

/** Scores rows [from, to) with the layout's kernel. */
export function scoreRowsInto(L: ScoringLayout, x: Float64Array, from: number, to: number, out: Float64Array, acc: Float64Array): void {
  if (L.packed) scoreKernel(L.roots, L.packed, L.thr, L.leaf, L.nTrees, L.heightLimit, L.k, L.nCols, x, from, to, out, acc);
  else scoreKernelWide(L.roots, L.feat, L.child, L.thr, L.leaf, L.nTrees, L.heightLimit, L.k, L.nCols, x, from, to, out, acc);
}

/**
 * Reference scorer that follows the paper literally (walk to a leaf, add depth + c(size)); the
 * fast kernel is tested against it. Not for hot paths.
 */
export function scoreRowsReference(forest: ForestData, x: Float64Array, nRows: number): Float64Array {
  const { roots, feature, value, left, nTrees, nCols } = forest;
  const out = new Float64Array(nRows);
  const c = averagePathLength(forest.subsampleSize);
  for (let r = 0; r < nRows; r++) {
    const off = r * nCols;
    let sum = 0;
    for (let t = 0; t < nTrees; t++) {
      let n = roots[t];
      while (feature[n] >= 0) n = x[off + feature[n]] > value[n] ? left[n] + 1 : left[n];
      sum += value[n];
    }
    out[r] = Math.pow(2, -sum / nTrees / c);
  }
  return out;
}

/**
 * Walks one row (at x[off .. off + nCols)) through every tree and adds, for each column, the
 * isolation credit of the splits on it: every split on the path of tree t counts 1 / h_t(x), so
 * a split that belongs to a short path (quick isolation) weighs more. The credits of one row sum
 * to the number of trees' share of splits over path length; `credit` is added to, not cleared.
 * Returns the mean path length E[h(x)].
 */
export function accumulatePathCredit(forest: ForestData, x: Float64Array, off: number, credit: Float64Array, scratch: Int32Array): number {
  const { roots, feature, value, left, nTrees } = forest;
  let sum = 0;
  for (let t = 0; t < nTrees; t++) {
    let n = roots[t];
    let f = feature[n];
    let d = 0;
    while (f >= 0) {
      scratch[d++] = f;
      n = x[off + f] > value[n] ? left[n] + 1 : left[n];
      f = feature[n];
    }
    const h = value[n];
    sum += h;
    if (h > 0) {
      const w = 1 / (h * nTrees);
      for (let i = 0; i < d; i++) credit[scratch[i]] += w;
    }
  }
  return sum / nTrees;
}
