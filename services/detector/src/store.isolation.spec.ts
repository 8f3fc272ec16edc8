import { writeIsolating } from './store.isolation';

class DataError extends Error {
  code = '22021';
}
const isPoison = (e: unknown): boolean => e instanceof DataError;

/** A store that refuses any write holding a unit in `bad` (as PostgreSQL rolls back a whole COPY), else keeps the units. */
function store(bad: Set<number>, failTransient = false) {
  const stored = new Set<number>();
  let writes = 0;
  const write = async (part: readonly number[]): Promise<void> => {
    writes++;
    if (failTransient) throw new Error('connection terminated');
    if (part.some((u) => bad.has(u))) throw new DataError(`refused ${part.filter((u) => bad.has(u)).join(',')}`);
    for (const u of part) stored.add(u);
  };
  return { stored, write, writes: () => writes };
}

describe('writeIsolating', () => {
  it.each([
    ['no bad unit', 1000, []],
    ['one bad unit among 1000', 1000, [617]],
    ['the first and the last', 10, [0, 9]],
    ['every unit', 5, [0, 1, 2, 3, 4]],
    ['a single unit that is bad', 1, [0]],
  ])('%s: every good unit stored, every bad one rejected with the error, nothing else', async (_what, n, badList) => {
    const bad = new Set(badList);
    const s = store(bad);
    const rejected: number[] = [];
    const units = Array.from({ length: n }, (_, i) => i);
    await writeIsolating(units, s.write, isPoison, (u, e) => {
      expect(e.message).toMatch(/^refused/);
      rejected.push(u);
    });
    expect(rejected).toEqual(badList);
    expect([...s.stored].sort((a, b) => a - b)).toEqual(units.filter((u) => !bad.has(u)));
  });

  it('isolates one bad unit in about 2·log2(n) writes, not n', async () => {
    const s = store(new Set([617]));
    await writeIsolating(Array.from({ length: 1000 }, (_, i) => i), s.write, isPoison, () => undefined);
    expect(s.writes()).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(1000)) + 1);
  });

  it('throws any other error at once (the batch is retried whole), rejecting nothing', async () => {
    const s = store(new Set(), true);
    const rejected: number[] = [];
    await expect(writeIsolating([1, 2, 3], s.write, isPoison, (u) => rejected.push(u))).rejects.toThrow('connection terminated');
    expect(s.writes()).toBe(1);
    expect(rejected).toEqual([]);
  });

  it('writes nothing for no units', async () => {
    const s = store(new Set());
    await writeIsolating([], s.write, isPoison, () => undefined);
    expect(s.writes()).toBe(0);
  });
});
