import { Prng } from './prng';
import { compileForest, fitForest, scoreRowsInto, scoreRowsReference, SCORE_BLOCK_ROWS } from './isolation-forest';
import { decodeForest, encodeForest, type ForestJson } from './forest.codec';

const n = 1000;
const d = 4;
const rng = new Prng(3);
const x = Float64Array.from({ length: n * d }, () => rng.nextFloat() * 10);
const forest = fitForest(x, n, d, { nEstimators: 30, seed: 4 });

function scores(f: typeof forest): Float64Array {
  const out = new Float64Array(n);
  scoreRowsInto(compileForest(f), x, 0, n, out, new Float64Array(SCORE_BLOCK_ROWS));
  return out;
}

describe('forest codec', () => {
  it('round-trips through JSON text to identical scores', () => {
    const text = JSON.stringify(encodeForest(forest));
    const back = decodeForest(JSON.parse(text));
    if (!back.ok) throw new Error(back.reason);
    expect(Buffer.from(scores(back.forest).buffer).equals(Buffer.from(scores(forest).buffer))).toBe(true);
    expect(Array.from(back.forest.size)).toEqual(Array.from(forest.size));
  });

  it.each([
    ['a child index out of range', (j: ReturnType<typeof encodeForest>) => {
      const left = new Int32Array(Buffer.from(j.left, 'base64').buffer.slice(0));
      left[0] = 1 << 30;
      j.left = Buffer.from(left.buffer).toString('base64');
    }],
    ['a child pointing backwards (a cycle)', (j: ReturnType<typeof encodeForest>) => {
      const left = new Int32Array(Buffer.from(j.left, 'base64').buffer.slice(0));
      const feat = new Int32Array(Buffer.from(j.feature, 'base64').buffer.slice(0));
      const i = feat.findIndex((f, k) => k > 2 && f >= 0);
      left[i] = 0;
      j.left = Buffer.from(left.buffer).toString('base64');
    }],
    ['a split column beyond nCols', (j: ReturnType<typeof encodeForest>) => {
      const feat = new Int32Array(Buffer.from(j.feature, 'base64').buffer.slice(0));
      feat[0] = 99;
      j.feature = Buffer.from(feat.buffer).toString('base64');
    }],
    ['a truncated array', (j: ReturnType<typeof encodeForest>) => {
      j.value = Buffer.from(j.value, 'base64').subarray(0, 13).toString('base64');
    }],
    ['a missing field', (j: ReturnType<typeof encodeForest>) => {
      delete (j as Partial<typeof j>).roots;
    }],
  ])('rejects a forest with %s as a value, not an exception', (_name, damage) => {
    const j = JSON.parse(JSON.stringify(encodeForest(forest)));
    damage(j);
    const r = decodeForest(j);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe('MODEL.BAD_FOREST');
  });
});

const b64 = (a: Int32Array | Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

/** A hand-made forest (node arrays as plain lists) for shapes fitForest never makes. */
function handMade(o: { roots: number[]; feature: number[]; left: number[]; value: number[]; subsampleSize: number; heightLimit: number }): ForestJson {
  return {
    nTrees: o.roots.length,
    nCols: 1,
    subsampleSize: o.subsampleSize,
    heightLimit: o.heightLimit,
    roots: b64(Int32Array.from(o.roots)),
    feature: b64(Int32Array.from(o.feature)),
    value: b64(Float64Array.from(o.value)),
    left: b64(Int32Array.from(o.left)),
    size: b64(new Int32Array(o.feature.length).fill(1)),
  };
}

describe('forest codec: hostile shapes', () => {
  const reason = (j: unknown): string => {
    const r = decodeForest(j);
    return r.ok ? 'accepted' : r.reason;
  };

  it('refuses a height limit other than ceil(log2 subsampleSize): every walk takes that many steps', () => {
    const j = encodeForest(forest);
    expect(j.heightLimit).toBe(8);
    expect(reason({ ...j, heightLimit: 20_000_000 })).toBe('heightLimit 20000000 is not ceil(log2(subsampleSize 256)) = 8');
    expect(reason({ ...j, heightLimit: 7 })).toMatch(/heightLimit 7 is not/);
    expect(reason(j)).toBe('accepted');
  });

  it('refuses a subsample of one row (c(1) = 0 would divide every path length by 0)', () => {
    expect(reason({ ...encodeForest(forest), subsampleSize: 1, heightLimit: 0 })).toMatch(/subsampleSize.*>=2/);
  });

  it('refuses a node reached from two parents (a DAG whose long path beats the depth check)', () => {
    // Tree 0: 0 → (1, 2), 1 → (3, 4), 3 → (6, 7); tree 1: root 5 → (6, 7); 6 → (8, 9). Through
    // tree 0, node 6 is at depth 3 and its children at 4 > the height limit 3; the kernel's three
    // steps stop on node 6 (an internal node, leaf value 0) where the reference walk goes on.
    const dag = handMade({
      roots: [0, 5],
      feature: [0, 0, -1, 0, -1, 0, 0, -1, -1, -1],
      left: [1, 3, -1, 6, -1, 6, 8, -1, -1, -1],
      value: [1e9, 1e9, 1, 1e9, 2, 1e9, 1e9, 2, 3, 3],
      subsampleSize: 8,
      heightLimit: 3,
    });
    expect(reason(dag)).toBe("node 5's children are reached from another parent too (not a tree)");
  });

  it.each([
    ['two trees sharing a root', { roots: [0, 0], feature: [-1], left: [-1], value: [0] }, 'root 1 is node 0, the root of another tree'],
    ['a node no root reaches', { roots: [0], feature: [0, -1, -1, -1], left: [1, -1, -1, -1], value: [0.5, 1, 1, 1] }, 'node 3 is reached from no root'],
    ['a leaf path length below 0', { roots: [0], feature: [-1], left: [-1], value: [-1e300] }, 'leaf 0 has path length -1e+300, outside [0, 2]'],
    ['a leaf path length past heightLimit + c(ψ)', { roots: [0], feature: [-1], left: [-1], value: [1e300] }, 'leaf 0 has path length 1e+300, outside [0, 2]'],
  ])('refuses %s', (_name, o, why) => {
    expect(reason(handMade({ ...o, subsampleSize: 2, heightLimit: 1 }))).toBe(why);
  });

  it('the kernel scores every range of rows as the reference walk does: every block size, any start, nothing written outside the range', () => {
    const ref = scoreRowsReference(forest, x, n);
    const layout = compileForest(forest);
    const acc = new Float64Array(SCORE_BLOCK_ROWS);
    const bad: string[] = [];
    for (const from of [0, 1, 3, 64, 130]) {
      for (let len = 1; len <= 2 * SCORE_BLOCK_ROWS + 5; len++) {
        const out = new Float64Array(n).fill(-1);
        scoreRowsInto(layout, x, from, from + len, out, acc);
        for (let i = 0; i < n; i++) {
          const inside = i >= from && i < from + len;
          if (inside ? Math.abs(out[i] - ref[i]) > 1e-12 : out[i] !== -1) bad.push(`from ${from} len ${len} row ${i}`);
        }
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('accepts every forest fitForest makes, and the kernel scores it as the reference walk does', () => {
    for (const maxSamples of [2, 3, 100, 256, 1000]) {
      const f = fitForest(x, n, d, { nEstimators: 5, seed: maxSamples, maxSamples });
      const back = decodeForest(JSON.parse(JSON.stringify(encodeForest(f))));
      if (!back.ok) throw new Error(`maxSamples ${maxSamples}: ${back.reason}`);
      const ref = scoreRowsReference(back.forest, x, n);
      const fast = scores(back.forest);
      let worst = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(fast[i] - ref[i]));
      expect(worst).toBeLessThan(1e-12);
    }
  });
});

