import { Prng } from './prng';
import { compileForest, fitForest, scoreRowsInto, SCORE_BLOCK_ROWS } from './isolation-forest';
import { ForestWorkerPool } from './forest.pool';

describe('ForestWorkerPool', () => {
  const n = 20000;
  const d = 8;
  const rng = new Prng(8);
  const x = Float64Array.from({ length: n * d }, () => rng.nextFloat());
  const layout = compileForest(fitForest(x, n, d, { seed: 5 }));
  let pool: ForestWorkerPool;

  beforeAll(() => {
    pool = ForestWorkerPool.create(layout, 2);
  });
  afterAll(async () => {
    await pool.close();
  });

  it('gives exactly the in-thread scores, for plain and shared input', async () => {
    const expected = new Float64Array(n);
    scoreRowsInto(layout, x, 0, n, expected, new Float64Array(SCORE_BLOCK_ROWS));
    expect(pool.threads).toBe(2);
    const got = await pool.score(x, n);
    expect(Buffer.from(got.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    const shared = new Float64Array(new SharedArrayBuffer(x.byteLength));
    shared.set(x);
    const got2 = await pool.score(shared, 777);
    expect(Array.from(got2)).toEqual(Array.from(expected.subarray(0, 777)));
    expect((await pool.score(x, 0)).length).toBe(0);
  });

  it('rejects after close instead of hanging', async () => {
    const p = ForestWorkerPool.create(layout, 1);
    await p.close();
    await expect(p.score(x, 10)).rejects.toThrow(/closed/);
  });
});
