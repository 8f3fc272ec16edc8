import { statsSeries, storeStats } from './stats.store';
import { destStats, migratedDatabase } from './test-fixtures';

describe('storeStats (COPY into staging, upsert per sensor/interval/entity)', () => {
  const db = migratedDatabase();

  const count = async () => Number((await db.ds.query('SELECT count(*) AS n FROM stats'))[0].n);

  it('stores a batch idempotently and replaces a key when a later merge changes it', async () => {
    const batch = Array.from({ length: 300 }, (_, i) => destStats(1700000000 + 10 * i, '192.168.1.10', i + 1));
    expect(await storeStats(db.ds, batch)).toBe(300);
    expect(await storeStats(db.ds, batch)).toBe(0);
    expect(await count()).toBe(300);

    // A late partial merged in: same key, bigger counts.
    expect(await storeStats(db.ds, [destStats(1700000000, '192.168.1.10', 999, 'agg-1+agg-2')])).toBe(1);
    expect(await count()).toBe(300);
    const [first] = await statsSeries(db.ds, { kind: 'destination', key: '192.168.1.10', until: 1700000001 });
    expect(first.entity.packets).toBe(999);
    expect(first.instance).toBe('agg-1+agg-2');
  });

  it('keeps the last record of a key inside one batch', async () => {
    const a = destStats(1800000000, '10.9.9.9', 1);
    const b = destStats(1800000000, '10.9.9.9', 2);
    expect(await storeStats(db.ds, [a, b])).toBe(1);
    const rows = await statsSeries(db.ds, { kind: 'destination', key: '10.9.9.9' });
    expect(rows).toEqual([b]);
  });

  it('returns a series oldest first within the time range', async () => {
    const rows = await statsSeries(db.ds, { kind: 'destination', key: '192.168.1.10', since: 1700000100, until: 1700000150 });
    expect(rows.map((r) => r.start)).toEqual([1700000100, 1700000110, 1700000120, 1700000130, 1700000140]);
    expect(rows.map((r) => r.entity.packets)).toEqual([11, 12, 13, 14, 15]);
  });
});
