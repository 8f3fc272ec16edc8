import { upsertAlerts } from './alerts.store';
import { storeAnomalies } from './anomalies.store';
import { countFlows, storeFlows } from './flows.store';
import { applyRetention } from './retention';
import { storeStats } from './stats.store';
import { alert, anomaly, destStats, flow, migratedDatabase } from './test-fixtures';

describe('retention', () => {
  const db = migratedDatabase();

  it('deletes flows and stats older than 7 days and alerts older than 90, keeping the rest', async () => {
    await storeFlows(db.ds, Array.from({ length: 100 }, (_, i) => flow(i)));
    await storeStats(db.ds, [destStats(1700000000, '10.1.1.1', 5), destStats(1700000010, '10.1.1.1', 6)]);
    await upsertAlerts(db.ds, [alert({ id: 'old' }), alert({ id: 'mid' }), alert({ id: 'new' })]);
    await storeAnomalies(db.ds, [anomaly(1), anomaly(2)]);
    // Age some rows: 40 flows 8 days old, 1 stats row 8 days, alert 'old' 91 days, 'mid' 30 days.
    await db.ds.query(`UPDATE flows SET stored_at = now() - interval '8 days' WHERE id IN (SELECT id FROM flows ORDER BY id LIMIT 40)`);
    await db.ds.query(`UPDATE stats SET stored_at = now() - interval '8 days' WHERE interval_start = 1700000000`);
    await db.ds.query(`UPDATE alerts SET updated_at = now() - interval '91 days' WHERE id = 'old'`);
    await db.ds.query(`UPDATE alerts SET updated_at = now() - interval '30 days' WHERE id = 'mid'`);
    await db.ds.query(`UPDATE anomalies SET stored_at = now() - interval '100 days' WHERE id = $1`, [anomaly(1).id]);

    expect(await applyRetention(db.ds)).toEqual({ flows: 40, stats: 1, alerts: 1, anomalies: 1 });
    expect(await countFlows(db.ds)).toBe(60);
    const alerts = (await db.ds.query('SELECT id FROM alerts ORDER BY id')) as { id: string }[];
    expect(alerts.map((a) => a.id)).toEqual(['mid', 'new']);
    expect(await applyRetention(db.ds)).toEqual({ flows: 0, stats: 0, alerts: 0, anomalies: 0 });
    // A stricter policy takes more.
    expect((await applyRetention(db.ds, { alertsDays: 7 })).alerts).toBe(1);
  });
});
