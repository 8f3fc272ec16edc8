import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AlertV1, AnomalyV1, FlowV1, StatsV1 } from '@netsentry/contracts';
import { REPO_ROOT, topicMap, type ServiceProcess } from '@netsentry/messaging';
import { migrateDatabase, openDataSource, storeAnomalies, storeFlows, storeStats, upsertAlerts } from '@netsentry/storage';
import { createTestDatabase, deleteTopics, itIf, uniqueName, type TestDatabase } from '@netsentry/testing';
import type { DataSource } from 'typeorm';
import { startDetector, pipelineEnv } from './pipeline.harness';
import { flowsOf } from './fixtures';

const BASELINE = join(REPO_ROOT, 'data/samples/baseline.pcap');

const alert = (id: string): AlertV1 => ({
  id,
  type: 'port_scan',
  severity: 'medium',
  sources: ['10.0.0.5'],
  targets: ['192.168.1.10'],
  start: 1700000000,
  end: 1700000010,
  summary: '10.0.0.5 probed 25 ports on 192.168.1.10 in 60 s.',
  evidence: [{ metric: 'distinct_dst_ports', value: 25, threshold: 20, op: '>=', windowSeconds: 60 }],
  rule: 'port_scan@1',
  sensor: 'lab',
});

const anomaly = (f: FlowV1): AnomalyV1 => ({
  id: `${f.id}:model-1`,
  flowId: f.id,
  sensor: f.sensor,
  proto: f.proto,
  srcIp: f.srcIp,
  srcPort: f.srcPort,
  dstIp: f.dstIp,
  dstPort: f.dstPort,
  start: f.start,
  end: f.end,
  score: 0.7,
  severity: 'medium',
  model: { id: 'model-1', version: 1 },
  topFeatures: [{ name: 'Flow Duration', value: 100, baseline: 2, contribution: 0.6 }],
});

const stats = (start: number): StatsV1 => {
  const empty = { packets: 0, bytes: 0 };
  return {
    sensor: 'lab',
    instance: 'agg-1',
    start,
    intervalS: 10,
    entity: {
      kind: 'destination',
      ip: '192.168.1.10',
      packets: 5,
      bytes: 300,
      protocols: { tcp: { packets: 5, bytes: 300 }, udp: empty, icmp: empty, icmpv6: empty, arp: empty, other: empty },
      syns: 5,
      handshakes: 0,
      synPorts: { n: 1, exact: true, k: 256, items: [80], overflow: 0 },
      udpPorts: { n: 0, exact: true, k: 256, items: [], overflow: 0 },
      sources: { n: 1, exact: true, k: 256, items: ['10.0.0.5'], overflow: 0 },
    },
  };
};

// The detector applies the retention policy at start and on its timer (RETENTION_EVERY_MS): flows and
// statistics older than 7 days (the default) and alerts / anomalies older than the configured
// 30 days go; younger rows stay. Real PostgreSQL, the detector as its own process on real Kafka.
describe('detector retention', () => {
  let db: TestDatabase | null = null;
  let ds: DataSource | null = null;
  let det: ServiceProcess | null = null;
  const suffix = '.' + uniqueName('detretention');
  afterAll(async () => {
    await det?.stop('SIGKILL');
    await ds?.destroy();
    await db?.drop().catch(() => undefined);
    await deleteTopics(Object.values(topicMap(suffix))).catch(() => undefined);
  });

  itIf(existsSync(BASELINE), 'needs data/samples/baseline.pcap')('deletes old rows by the configured policy and keeps recent ones', async () => {
    db = await createTestDatabase({ migrate: migrateDatabase });
    ds = await openDataSource({ url: db.url, poolSize: 2 });
    const flows = await flowsOf(BASELINE, 'lab');
    expect(flows.length).toBeGreaterThan(100);
    await storeFlows(ds, flows);
    await storeStats(ds, [stats(1700000000), stats(1700000010)]);
    await upsertAlerts(ds, [alert('a-45d'), alert('a-20d'), alert('a-new')]);
    await storeAnomalies(ds, [anomaly(flows[0]), anomaly(flows[1])]);
    // Age: the first 50 flows 8 days, one flow 6 days; one stats row 8 days; alerts 45 and 20
    // days; one anomaly 45 days.
    const ids = flows.map((f) => f.id).sort();
    const old = ids.slice(0, 50);
    await ds.query(`UPDATE flows SET stored_at = now() - interval '8 days' WHERE id = ANY($1::text[])`, [old]);
    await ds.query(`UPDATE flows SET stored_at = now() - interval '6 days' WHERE id = $1`, [ids[50]]);
    await ds.query(`UPDATE stats SET stored_at = now() - interval '8 days' WHERE interval_start = 1700000000`);
    await ds.query(`UPDATE alerts SET updated_at = now() - interval '45 days' WHERE id = 'a-45d'`);
    await ds.query(`UPDATE alerts SET updated_at = now() - interval '20 days' WHERE id = 'a-20d'`);
    await ds.query(`UPDATE anomalies SET stored_at = now() - interval '45 days' WHERE id = $1`, [anomaly(flows[0]).id]);

    det = await startDetector(
      pipelineEnv(suffix, db.url, { RETENTION_EVERY_MS: '1000', RETENTION_ALERTS_DAYS: '30', RETENTION_ANOMALIES_DAYS: '30' }),
      'det-retention',
    );
    const count = async (sql: string, args: unknown[] = []): Promise<number> => Number(((await ds!.query(sql, args)) as { n: string }[])[0].n);
    const until = Date.now() + 60000;
    // The anomaly is the last table the policy visits: once it is gone, one pass is complete.
    while ((await count('SELECT count(*) AS n FROM anomalies WHERE id = $1', [anomaly(flows[0]).id])) > 0) {
      if (Date.now() > until) throw new Error(`retention did not run within 60 s; detector said:\n${det.lines.slice(-10).join('\n')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await count('SELECT count(*) AS n FROM flows WHERE id = ANY($1::text[])', [old])).toBe(0);
    expect(await count('SELECT count(*) AS n FROM flows')).toBe(flows.length - 50);
    expect(await count('SELECT count(*) AS n FROM flows WHERE id = $1', [ids[50]])).toBe(1);
    expect(await count('SELECT count(*) AS n FROM stats')).toBe(1);
    expect(((await ds.query('SELECT id FROM alerts ORDER BY id')) as { id: string }[]).map((a) => a.id)).toEqual(['a-20d', 'a-new']);
    expect(await count('SELECT count(*) AS n FROM anomalies')).toBe(1);
    // And again on the timer, not only at start: a row that ages past the policy later goes too.
    await ds.query(`UPDATE alerts SET updated_at = now() - interval '31 days' WHERE id = 'a-20d'`);
    while ((await count(`SELECT count(*) AS n FROM alerts WHERE id = 'a-20d'`)) > 0) {
      if (Date.now() > until) throw new Error('retention did not run again on its timer');
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(((await ds.query('SELECT id FROM alerts ORDER BY id')) as { id: string }[]).map((a) => a.id)).toEqual(['a-new']);
    expect(await count('SELECT count(*) AS n FROM flows')).toBe(flows.length - 50);
    expect(det.proc.exitCode).toBeNull();
  }, 120000);
});
