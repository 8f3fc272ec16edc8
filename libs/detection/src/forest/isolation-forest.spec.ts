import { Prng } from './prng';
import {
  accumulatePathCredit,
  averagePathLength,
  compileForest,
  fitForest,
  scoreRowsInto,
  scoreRowsReference,
  SCORE_BLOCK_ROWS,
  type ForestData,
} from './isolation-forest';

/** Gaussian-ish cloud (sum of uniforms) around 0 with a few far points appended. */
function cloud(n: number, d: number, seed: number, outliers = 0): Float64Array {
  const rng = new Prng(seed);
  const x = new Float64Array((n + outliers) * d);
  for (let i = 0; i < n * d; i++) x[i] = rng.nextFloat() + rng.nextFloat() + rng.nextFloat() - 1.5;
  for (let i = n * d; i < (n + outliers) * d; i++) x[i] = 8 + rng.nextFloat();
  return x;
}

function depthOf(f: ForestData): Int32Array {
  const depth = new Int32Array(f.feature.length).fill(-1);
  for (const r of f.roots) depth[r] = 0;
  for (let i = 0; i < f.feature.length; i++) {
    if (f.feature[i] >= 0) {
      depth[f.left[i]] = depth[i] + 1;
      depth[f.left[i] + 1] = depth[i] + 1;
    }
  }
  return depth;
}

describe('Prng', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const sa = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(sa);
  });

  it('draws floats in [0, 1) and unbiased integers in range', () => {
    const r = new Prng(7);
    const counts = new Array(10).fill(0);
    let outOfRange = 0;
    for (let i = 0; i < 20000; i++) {
      const f = r.nextFloat();
      if (!(f >= 0 && f < 1)) outOfRange++;
      counts[r.nextInt(10)]++;
    }
    expect(outOfRange).toBe(0);
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200);
  });
});

describe('averagePathLength c(n)', () => {
  it.each([
    [0, 0],
    [1, 0],
    [2, 1],
    // 2 (ln(n-1) + γ) − 2 (n−1)/n
    [3, 2 * (Math.log(2) + 0.5772156649015329) - 4 / 3],
    [256, 2 * (Math.log(255) + 0.5772156649015329) - (2 * 255) / 256],
  ])('c(%d) = %d', (n, expected) => {
    expect(averagePathLength(n)).toBeCloseTo(expected, 12);
  });
});

describe('fitForest', () => {
  const n = 3000;
  const d = 6;
  const x = cloud(n, d, 1);

  it('builds each tree on a subsample of maxSamples rows with height limit ceil(log2(maxSamples))', () => {
    const f = fitForest(x, n, d, { nEstimators: 50, maxSamples: 256, seed: 3 });
    expect(f.nTrees).toBe(50);
    expect(f.subsampleSize).toBe(256);
    expect(f.heightLimit).toBe(8);
    const depth = depthOf(f);
    for (let t = 0; t < f.nTrees; t++) expect(f.size[f.roots[t]]).toBe(256);
    const bad: string[] = [];
    let deepLeaves = 0;
    for (let i = 0; i < f.feature.length; i++) {
      if (!(depth[i] >= 0 && depth[i] <= 8)) bad.push(`depth ${i}`);
      if (f.feature[i] >= 0) {
        // children partition the parent's rows; both sides non-empty (random split inside [min, max))
        const l = f.size[f.left[i]];
        const r = f.size[f.left[i] + 1];
        if (l + r !== f.size[i] || l < 1 || r < 1) bad.push(`split ${i}`);
      } else {
        // leaf: depth + c(size) — the correction for rows left unsplit at the height limit
        if (Math.abs(f.value[i] - (depth[i] + averagePathLength(f.size[i]))) > 1e-12) bad.push(`leaf value ${i}`);
        if (depth[i] < 8 && f.size[i] !== 1) bad.push(`early leaf ${i}`);
        if (depth[i] === 8 && f.size[i] > 1) deepLeaves++;
      }
    }
    expect(bad).toEqual([]);
    expect(deepLeaves).toBeGreaterThan(0); // the height limit did cut some paths
  });

  it('caps the subsample at the number of rows', () => {
    const f = fitForest(x, 100, d, { nEstimators: 5, maxSamples: 256, seed: 3 });
    expect(f.subsampleSize).toBe(100);
    expect(f.heightLimit).toBe(7);
  });

  it('is deterministic: same seed and data give identical trees; another seed differs', () => {
    const a = fitForest(x, n, d, { nEstimators: 20, seed: 9 });
    const b = fitForest(x, n, d, { nEstimators: 20, seed: 9 });
    const c = fitForest(x, n, d, { nEstimators: 20, seed: 10 });
    expect(Buffer.from(a.value.buffer).equals(Buffer.from(b.value.buffer))).toBe(true);
    expect(Buffer.from(a.feature.buffer).equals(Buffer.from(b.feature.buffer))).toBe(true);
    expect(Buffer.from(a.value.buffer).equals(Buffer.from(c.value.buffer))).toBe(false);
  });

  it('never splits on a column that is constant in the node', () => {
    const xc = new Float64Array(500 * 3);
    const r = new Prng(5);
    for (let i = 0; i < 500; i++) {
      xc[i * 3] = 7; // constant everywhere
      xc[i * 3 + 1] = r.nextFloat();
      xc[i * 3 + 2] = 7;
    }
    const f = fitForest(xc, 500, 3, { nEstimators: 10, seed: 1 });
    for (let i = 0; i < f.feature.length; i++) if (f.feature[i] >= 0) expect(f.feature[i]).toBe(1);
  });

  it('makes a single leaf of all-identical rows', () => {
    const f = fitForest(new Float64Array(40).fill(1), 20, 2, { nEstimators: 3, seed: 1 });
    expect(f.feature.length).toBe(3);
    expect(Array.from(f.feature)).toEqual([-1, -1, -1]);
    expect(f.value[0]).toBeCloseTo(averagePathLength(20), 12);
  });

  it('rejects impossible shapes and parameters', () => {
    expect(() => fitForest(x, 0, d)).toThrow(RangeError);
    expect(() => fitForest(x, n + 1, d)).toThrow(RangeError);
    expect(() => fitForest(x, n, d, { nEstimators: 0 })).toThrow(RangeError);
    expect(() => fitForest(x, n, d, { maxSamples: 1 })).toThrow(RangeError);
  });
});

describe('scoring', () => {
  const n = 2000;
  const d = 5;
  const x = cloud(n, d, 11, 3);
  const rows = n + 3;
  const f = fitForest(x, n, d, { seed: 2 });
  const layout = compileForest(f);

  it('fast kernel equals the literal reference walk on every row (block and tail sizes)', () => {
    const ref = scoreRowsReference(f, x, rows);
    expect(layout.packed).not.toBeNull();
    const wide = { ...layout, packed: null }; // the kernel for forests too large to pack
    for (const [l, count] of [1, 3, 4, 63, 64, 65, 131, rows].flatMap((c) => [[layout, c], [wide, c]] as const)) {
      const out = new Float64Array(count);
      scoreRowsInto(l, x, 0, count, out, new Float64Array(SCORE_BLOCK_ROWS));
      let maxDiff = 0;
      for (let i = 0; i < count; i++) maxDiff = Math.max(maxDiff, Math.abs(out[i] - ref[i]));
      expect(maxDiff).toBeLessThan(1e-12);
    }
    // an offset range writes only its own rows
    const out = new Float64Array(rows);
    scoreRowsInto(layout, x, 10, 77, out, new Float64Array(SCORE_BLOCK_ROWS));
    expect(out[9]).toBe(0);
    expect(out[77]).toBe(0);
    expect(Math.abs(out[10] - ref[10])).toBeLessThan(1e-12);
  });

  it('scores far points as anomalies (> 0.6) and the cloud centre as normal (< 0.5)', () => {
    const out = new Float64Array(rows);
    scoreRowsInto(layout, x, 0, rows, out, new Float64Array(SCORE_BLOCK_ROWS));
    for (let i = n; i < rows; i++) expect(out[i]).toBeGreaterThan(0.6);
    const centre = new Float64Array(d); // the origin
    const s = new Float64Array(1);
    scoreRowsInto(layout, centre, 0, 1, s, new Float64Array(SCORE_BLOCK_ROWS));
    expect(s[0]).toBeLessThan(0.5);
    let mean = 0;
    for (let i = 0; i < n; i++) mean += out[i] / n;
    expect(mean).toBeGreaterThan(0.35);
    expect(mean).toBeLessThan(0.5);
  });

  it('handles NaN and ±Infinity without leaving the trees', () => {
    const odd = new Float64Array([NaN, Infinity, -Infinity, 0, 1e308]);
    const s = new Float64Array(1);
    scoreRowsInto(layout, odd, 0, 1, s, new Float64Array(SCORE_BLOCK_ROWS));
    expect(s[0]).toBeGreaterThan(0);
    expect(s[0]).toBeLessThanOrEqual(1);
  });

  it('credits the column that isolates an outlier', () => {
    const row = new Float64Array(d);
    row[3] = 20; // far out on column 3 only
    const credit = new Float64Array(d);
    const h = accumulatePathCredit(f, row, 0, credit, new Int32Array(f.heightLimit + 1));
    expect(h).toBeGreaterThan(0);
    const top = credit.indexOf(Math.max(...credit));
    expect(top).toBe(3);
  });
});
