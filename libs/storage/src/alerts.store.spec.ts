import { AlertV1 } from '@netsentry/contracts';
import { countAlerts, findAlerts, getAlert, upsertAlerts } from './alerts.store';
import { createDataSource } from './data-source';
import { alert, migratedDatabase } from './test-fixtures';

describe('upsertAlerts', () => {
  const db = migratedDatabase();

  const revisions = async (id: string) => (await db.ds.query('SELECT revisions FROM alerts WHERE id = $1', [id]))[0].revisions as number;

  it('inserts, ignores a redelivery, applies an update and ignores a stale version', async () => {
    const v1 = alert();
    expect(AlertV1.safeParse(v1).success).toBe(true);
    expect(await upsertAlerts(db.ds, [v1])).toEqual([{ id: 'alert-1', outcome: 'inserted' }]);
    expect(await upsertAlerts(db.ds, [v1])).toEqual([{ id: 'alert-1', outcome: 'unchanged' }]);
    expect(await getAlert(db.ds, 'alert-1')).toEqual(v1);

    const v2 = alert({
      end: 1700000042.25,
      severity: 'high',
      sources: ['10.0.0.5', '10.0.0.6'],
      evidence: [{ metric: 'distinct_dst_ports', value: 900, threshold: 20, op: '>=', windowSeconds: 60 }],
      summary: '10.0.0.5 and 10.0.0.6 probed 900 ports on 192.168.1.10 in 60 s.',
    });
    expect(await upsertAlerts(db.ds, [v2])).toEqual([{ id: 'alert-1', outcome: 'updated' }]);
    expect(await getAlert(db.ds, 'alert-1')).toEqual(v2);

    // The older version redelivered after the update changes nothing.
    expect(await upsertAlerts(db.ds, [v1])).toEqual([{ id: 'alert-1', outcome: 'unchanged' }]);
    expect(await getAlert(db.ds, 'alert-1')).toEqual(v2);
    expect(await revisions('alert-1')).toBe(1);
    expect(Number((await db.ds.query('SELECT count(*) AS n FROM alerts'))[0].n)).toBe(1);
  });

  it('keeps the latest version when one batch holds several versions of an alert', async () => {
    const a = alert({ id: 'alert-2', end: 1700000100 });
    const b = alert({ id: 'alert-2', end: 1700000200, severity: 'critical' });
    expect(await upsertAlerts(db.ds, [b, a])).toEqual([{ id: 'alert-2', outcome: 'inserted' }]);
    expect((await getAlert(db.ds, 'alert-2'))?.severity).toBe('critical');
  });

  it('concurrent upserts of overlapping alert sets neither deadlock nor duplicate', async () => {
    const two = await createDataSource({ url: db.database.url, poolSize: 2 }).initialize();
    try {
      const set = Array.from({ length: 400 }, (_, i) => alert({ id: `race-${i}`, end: 1600000000 + i }));
      const [a, b] = await Promise.all([upsertAlerts(two, set), upsertAlerts(two, [...set].reverse())]);
      const inserted = [...a, ...b].filter((w) => w.outcome === 'inserted').length;
      expect(inserted).toBe(400);
      expect(Number((await two.query(`SELECT count(*) AS n FROM alerts WHERE id LIKE 'race-%'`))[0].n)).toBe(400);
      await two.query(`DELETE FROM alerts WHERE id LIKE 'race-%'`);
    } finally {
      await two.destroy();
    }
  });

  it('finds alerts by host, type, severity and time', async () => {
    await upsertAlerts(db.ds, [
      alert({ id: 'flood-1', type: 'syn_flood', severity: 'critical', sources: ['203.0.113.9'], targets: ['192.168.1.20'], start: 1700001000, end: 1700001060 }),
      alert({ id: 'sweep-1', type: 'host_sweep', severity: 'low', sources: ['10.0.0.7'], targets: ['192.168.1.0'], start: 1700002000, end: 1700002030 }),
    ]);
    expect((await findAlerts(db.ds, { host: '192.168.1.20' })).map((a) => a.id)).toEqual(['flood-1']);
    expect((await findAlerts(db.ds, { host: '10.0.0.6' })).map((a) => a.id)).toEqual(['alert-1']);
    expect((await findAlerts(db.ds, { types: ['port_scan'] })).map((a) => a.id)).toEqual(['alert-2', 'alert-1']);
    expect((await findAlerts(db.ds, { minSeverity: 'high' })).map((a) => a.id)).toEqual(['flood-1', 'alert-2', 'alert-1']);
    expect((await findAlerts(db.ds, { since: 1700001500 })).map((a) => a.id)).toEqual(['sweep-1']);
    expect((await findAlerts(db.ds, { until: 1700000500 })).map((a) => a.id)).toEqual(['alert-2', 'alert-1']);
    expect(await countAlerts(db.ds)).toEqual([
      { type: 'host_sweep', severity: 'low', count: 1 },
      { type: 'port_scan', severity: 'critical', count: 1 },
      { type: 'port_scan', severity: 'high', count: 1 },
      { type: 'syn_flood', severity: 'critical', count: 1 },
    ]);
  });
});
