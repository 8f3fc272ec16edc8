import type { SensorHeartbeatV1, StatsV1 } from '@netsentry/contracts';
import { isDataException, sqlState } from './errors';
import { recordHeartbeat } from './sensors.store';
import { storeStats } from './stats.store';
import { createDataSource } from './data-source';
import { migratedDatabase } from './test-fixtures';

// The errors real writes raise when a value is one PostgreSQL refuses (class 22), against the
// errors worth retrying. Records are built past the schemas on purpose: this is the defence
// behind them.
describe('isDataException', () => {
  const db = migratedDatabase();

  const caught = async (f: () => Promise<unknown>): Promise<unknown> => {
    try {
      await f();
    } catch (e) {
      return e;
    }
    throw new Error('no error');
  };

  it('is true for NUL in a COPY (statistics) and in jsonb (heartbeat), and for other data exceptions', async () => {
    const stats = { sensor: 's1', instance: 'p\u00000', start: 100, intervalS: 1, entity: { kind: 'global', packets: 1, bytes: 1, protocols: {}, newFlows: 0, topSources: [], topDestinations: [] } } as unknown as StatsV1;
    const copy = await caught(() => storeStats(db.ds, [stats]));
    expect(sqlState(copy)).toBe('22021');
    expect(isDataException(copy)).toBe(true);
    const hb = { sensor: 's1', sentAt: 1, status: 'capturing', source: 'eth\u00000', counters: {} } as unknown as SensorHeartbeatV1;
    const json = await caught(() => recordHeartbeat(db.ds, hb));
    expect(sqlState(json)).toMatch(/^22/);
    expect(isDataException(json)).toBe(true);
    expect(isDataException(await caught(() => db.ds.query('SELECT 1 / 0')))).toBe(true);
  });

  it('is false for errors that are not about the values: a missing table, a lost connection, anything else', async () => {
    const missing = await caught(() => db.ds.query('SELECT * FROM no_such_table'));
    expect(sqlState(missing)).toBe('42P01');
    expect(isDataException(missing)).toBe(false);
    const refused = await caught(async () => {
      const other = await createDataSource({ url: 'postgres://postgres@127.0.0.1:1/none', poolSize: 1 }).initialize();
      await other.destroy();
    });
    expect(isDataException(refused)).toBe(false);
    for (const e of [new Error('x'), null, undefined, 'oops', { code: 22 }, { code: 'ECONNRESET' }]) expect(isDataException(e)).toBe(false);
  });
});
