import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AlertV1, AnomalyV1, severityRank } from '@netsentry/contracts';
import { trainModel } from '@netsentry/detection';
import { REPO_ROOT, topicMap, type ServiceProcess } from '@netsentry/messaging';
import { NotificationV1, SIGNATURE_HEADER, TIMESTAMP_HEADER, targetKey, verifySignature } from '@netsentry/notifications';
import { migrateDatabase, openDataSource } from '@netsentry/storage';
import { consumeWholeTopic, createTestDatabase, deleteTopics, itIf, uniqueName, type TestDatabase } from '@netsentry/testing';
import type { DataSource } from 'typeorm';
import { readStored, replay, startAggregator, startDetector, waitForGroup, waitSensorEnd, pipelineEnv } from './pipeline.harness';
import { flowsOf, registerActive } from './fixtures';

const ATTACKS = join(REPO_ROOT, 'data/samples/attacks.pcap');
const BASELINE = join(REPO_ROOT, 'data/samples/baseline.pcap');
const SECRET = 'detector-e2e-secret-0123456789';
const FLOOR = 'medium';
const INTERVAL_S = 20;

interface Received {
  at: number;
  method: string;
  contentType: string | undefined;
  body: string;
  signature: string | undefined;
  timestamp: string | undefined;
}

// End to end: a real capture through sensor → aggregator → (Kafka flows + stats) → detector →
// alerts → libs/notifications → a local HTTP receiver. Every POST carries a valid HMAC signature
// of its raw body; only alerts at or above the configured severity are delivered; each (rule
// type, target) gets at most one message per interval, the rest come as digests; and every
// stored alert at or above the floor reaches the receiver, one way or the other, while a second
// destination is down. Alerts and anomalies are also published on their Kafka topics.
describe('detector alert delivery', () => {
  const procs: ServiceProcess[] = [];
  let db: TestDatabase | null = null;
  let server: Server | null = null;
  let anomalySource: DataSource | null = null;
  const suffix = '.' + uniqueName('detnotify');
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await anomalySource?.destroy();
    await db?.drop().catch(() => undefined);
    await deleteTopics(Object.values(topicMap(suffix))).catch(() => undefined);
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  itIf(existsSync(ATTACKS), 'needs data/samples/attacks.pcap')('delivers the alerts of a real attack capture as signed, rate-limited webhooks', async () => {
    const got: Received[] = [];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({
          at: Date.now(),
          method: req.method ?? '',
          contentType: req.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
          signature: req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined,
          timestamp: req.headers[TIMESTAMP_HEADER.toLowerCase()] as string | undefined,
        });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;

    db = await createTestDatabase({ migrate: migrateDatabase });
    // An active model (the lab's benign baseline), so anomalies are scored and published too.
    const ds = await openDataSource({ url: db.url, poolSize: 1 });
    const model = trainModel(await flowsOf(BASELINE, 'lab'), { seed: 1, contamination: 0.05, nEstimators: 50 });
    try {
      await registerActive(ds, model);
    } finally {
      await ds.destroy();
    }
    // A second destination that is down: retried with backoff and given up, nothing else suffers.
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const p = pipelineEnv(suffix, db.url, {
      NETSENTRY_WEBHOOK_URLS: `http://127.0.0.1:${port}/hook,http://127.0.0.1:${deadPort}/down`,
      NETSENTRY_NOTIFY_MAX_ATTEMPTS: '3',
      NETSENTRY_NOTIFY_BACKOFF_MS: '100',
      NETSENTRY_WEBHOOK_SECRET: SECRET,
      NETSENTRY_NOTIFY_MIN_SEVERITY: FLOOR,
      NETSENTRY_NOTIFY_INTERVAL_S: String(INTERVAL_S),
    });
    const det = await startDetector(p, 'det-notify');
    const agg = await startAggregator(p, 'agg-notify');
    procs.push(det, agg);
    await waitForGroup(p.aggGroup, 1, 60000);
    await waitForGroup(p.detGroup, 1, 60000);
    // The same capture from two sensors at once: the same attacks on the same targets, so the
    // second sensor's alerts share the first's (rule type, target) keys and must be held back.
    const sensors = ['lab-notify-a', 'lab-notify-b'];
    const runs = sensors.map((id) => replay(p, id, ATTACKS));
    procs.push(...runs);
    for (const r of runs) expect(await r.exited).toBe(0);
    for (const id of sensors) await waitSensorEnd([det], id, 180000);

    const stored = (await readStored(db.url)).alertList;
    const due = stored.filter((a) => severityRank(a.severity) >= severityRank(FLOOR));
    const below = stored.filter((a) => severityRank(a.severity) < severityRank(FLOOR));
    expect(due.length).toBeGreaterThan(0);

    // Wait (bounded) until every due alert has arrived, singly or in a digest.
    const delivered = new Map<string, AlertV1>();
    const messages: { at: number; m: NotificationV1 }[] = [];
    const until = Date.now() + 4 * INTERVAL_S * 1000 + 20000;
    for (;;) {
      while (messages.length < got.length) {
        const g = got[messages.length];
        expect(g.method).toBe('POST');
        expect(g.contentType).toMatch(/^application\/json/);
        expect(g.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
        // checked when received: the signed timestamp is only good for 5 minutes
        expect(verifySignature(SECRET, g.body, g.signature, g.timestamp, { now: () => g.at })).toBe(true);
        // the check is real: another secret or a changed body does not verify
        expect(verifySignature(SECRET + 'x', g.body, g.signature, g.timestamp, { now: () => g.at })).toBe(false);
        expect(verifySignature(SECRET, g.body + ' ', g.signature, g.timestamp, { now: () => g.at })).toBe(false);
        const m = NotificationV1.parse(JSON.parse(g.body));
        messages.push({ at: g.at, m });
        for (const a of m.kind === 'alert' ? [m.alert] : m.alerts) delivered.set(a.id, a);
      }
      if (due.every((a) => delivered.has(a.id))) break;
      if (Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const missing = due.filter((a) => !delivered.has(a.id)).map((a) => `${a.type} ${a.severity} ${a.id}`);
    expect(missing).toEqual([]);

    // Severity floor: nothing below it was delivered, and stored alerts below it stayed home.
    for (const a of delivered.values()) expect(severityRank(a.severity)).toBeGreaterThanOrEqual(severityRank(FLOOR));
    for (const a of below) expect(delivered.has(a.id)).toBe(false);
    // Every delivered alert is a stored one.
    const storedIds = new Set(stored.map((a) => a.id));
    for (const id of delivered.keys()) expect(storedIds.has(id)).toBe(true);

    // Rate limit: per (rule type, target) the single-alert messages are at least an interval
    // apart (less a little for timer granularity); anything sooner came as a digest.
    const byKey = new Map<string, number[]>();
    for (const { at, m } of messages) {
      if (m.kind !== 'alert') continue;
      const k = `${m.alert.type}|${targetKey(m.alert)}`;
      byKey.set(k, [...(byKey.get(k) ?? []), at]);
    }
    for (const times of byKey.values()) for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(INTERVAL_S * 1000 - 250);
    const digests = messages.filter((x) => x.m.kind === 'digest');
    const singles = messages.length - digests.length;
    process.stdout.write(
      `detector notify: ${stored.length} stored alerts, ${due.length} at or above ${FLOOR}, ${below.length} below; ${messages.length} webhooks (${singles} single, ${digests.length} digests), ${byKey.size} (type, target) keys\n`,
    );
    // The two sensors' alerts of a key mostly arrive within one interval of each other: those
    // held back came as digests: fewer single-alert messages than alerts.
    expect(due.length).toBeGreaterThan(byKey.size);
    expect(digests.length).toBeGreaterThan(0);
    expect(singles).toBeLessThan(due.length);
    // Published for other systems: every stored alert on netsentry.alerts.v1 (key: alert id; its
    // last message is the stored version), every stored anomaly on netsentry.anomalies.v1.
    const topics = topicMap(suffix);
    const lastById = new Map<string, AlertV1>();
    for (const msg of await consumeWholeTopic(topics.alerts, { timeoutMs: 60000 })) {
      const a = AlertV1.parse(JSON.parse(msg.value!.toString('utf8')));
      expect(msg.key?.toString('utf8')).toBe(a.id);
      lastById.set(a.id, a);
    }
    expect([...lastById.keys()].sort()).toEqual(stored.map((a) => a.id).sort());
    for (const a of stored) expect(lastById.get(a.id)).toEqual(a);
    anomalySource = await openDataSource({ url: db.url, poolSize: 1 });
    const storedAnomalies = (await anomalySource.query('SELECT id FROM anomalies')) as { id: string }[];
    expect(storedAnomalies.length).toBeGreaterThan(0);
    const published = new Set<string>();
    for (const msg of await consumeWholeTopic(topics.anomalies, { timeoutMs: 60000 })) {
      const a = AnomalyV1.parse(JSON.parse(msg.value!.toString('utf8')));
      expect(a.model.id).toBe(model.id);
      published.add(a.id);
    }
    expect([...published].sort()).toEqual(storedAnomalies.map((a) => a.id).sort());
    expect(det.proc.exitCode).toBeNull();
  }, 300000);
});
