import { Prng } from './prng';
import { compileForest, fitForest, scoreRowsInto, SCORE_BLOCK_ROWS } from './isolation-forest';
import { decodeForest, encodeForest } from './forest.codec';

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
