import { createTestDatabase, type TestDatabase } from '@netsentry/testing';
import type { DataSource } from 'typeorm';
import { upsertAlerts } from './alerts.store';
import { storeAnomalies } from './anomalies.store';
import { createDataSource, migrateDatabase } from './data-source';
import { countFlows, storeFlows } from './flows.store';
import { applyRetention } from './retention';
import { storeStats } from './stats.store';
import { alert, anomaly, destStats, flow } from './test-fixtures';

describe('retention', () => {
  let db: TestDatabase;
  let ds: DataSource;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: migrateDatabase });
    ds = await createDataSource({ url: db.url, poolSize: 2 }).initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('deletes flows and stats older than 7 days and alerts older than 90, keeping the rest', async () => {
    await storeFlows(ds, Array.from({ length: 100 }, (_, i) => flow(i)));
    await storeStats(ds, [destStats(1700000000, '10.1.1.1', 5), destStats(1700000010, '10.1.1.1', 6)]);
    await upsertAlerts(ds, [alert({ id: 'old' }), alert({ id: 'mid' }), alert({ id: 'new' })]);
    await storeAnomalies(ds, [anomaly(1), anomaly(2)]);
    // Age some rows: 40 flows 8 days old, 1 stats row 8 days, alert 'old' 91 days, 'mid' 30 days.
    await ds.query(`UPDATE flows SET stored_at = now() - interval '8 days' WHERE id IN (SELECT id FROM flows ORDER BY id LIMIT 40)`);
    await ds.query(`UPDATE stats SET stored_at = now() - interval '8 days' WHERE interval_start = 1700000000`);
    await ds.query(`UPDATE alerts SET updated_at = now() - interval '91 days' WHERE id = 'old'`);
    await ds.query(`UPDATE alerts SET updated_at = now() - interval '30 days' WHERE id = 'mid'`);
    await ds.query(`UPDATE anomalies SET stored_at = now() - interval '100 days' WHERE id = $1`, [anomaly(1).id]);

    expect(await applyRetention(ds)).toEqual({ flows: 40, stats: 1, alerts: 1, anomalies: 1 });
    expect(await countFlows(ds)).toBe(60);
    const alerts = (await ds.query('SELECT id FROM alerts ORDER BY id')) as { id: string }[];
    expect(alerts.map((a) => a.id)).toEqual(['mid', 'new']);
    expect(await applyRetention(ds)).toEqual({ flows: 0, stats: 0, alerts: 0, anomalies: 0 });
    // A stricter policy takes more.
    expect((await applyRetention(ds, { alertsDays: 7 })).alerts).toBe(1);
  });
});
