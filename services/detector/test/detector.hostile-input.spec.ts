import { Client } from 'pg';
import type { Message } from 'kafkajs';
import { DeadLetterV1, parseJsonMessage, type DeadLetterV1 as DeadLetter } from '@netsentry/contracts';
import { migrateDatabase } from '@netsentry/storage';
import { H_KIND, KIND_WATERMARK, topicMap, type ServiceProcess } from '@netsentry/messaging';
import { consumeMessages, createTestDatabase, deleteTopics, testKafka, uniqueName, type TestDatabase } from '@netsentry/testing';
import { pipelineEnv, startDetector, waitForGroup, waitSensorEnd, type PipelineEnv } from './pipeline.harness';

// Input that passes for well-formed but would stop a detector: text PostgreSQL refuses (NUL), a
// row refused by the database for its data, times far ahead of the wall clock, a watermark that
// declares sources that never speak. Each is dead-lettered (or waited for only so long), counted,
// and the valid input around it is stored and moves the clock as without it.

const flow = (id: string, sensor: string, extra: Record<string, unknown> = {}) => ({
  id, sensor, proto: 6, srcIp: '10.0.0.1', srcPort: 1000, dstIp: '10.0.0.2', dstPort: 80, vlan: 0, vlanInner: 0, start: 100, end: 101,
  endReason: 'fin', state: 'established', service: 'http', fwdPackets: 1, bwdPackets: 1, fwdBytes: 60, bwdBytes: 60, features: { a: 1 }, ...extra,
});
const pb = { packets: 0, bytes: 0 };
const stats = (sensor: string, start: number, extra: Record<string, unknown> = {}) => ({
  sensor, instance: 'p0', start, intervalS: 1,
  entity: { kind: 'global', packets: 1, bytes: 60, protocols: { tcp: { packets: 1, bytes: 60 }, udp: pb, icmp: pb, icmpv6: pb, arp: pb, other: pb }, newFlows: 1, topSources: [], topDestinations: [] },
  ...extra,
});
const set = (items: unknown[], k = 128) => ({ n: items.length, exact: true, k, items, overflow: 0 });
const ports = Array.from({ length: 50 }, (_, i) => i + 1);
/** One interval of a 50-port SYN scan of one host, as an aggregator reports it (key src:10.0.0.9). */
const scan = (sensor: string, start: number) => ({
  sensor, instance: 'p0', start, intervalS: 1,
  entity: {
    kind: 'source', ip: '10.0.0.9', packets: 50, bytes: 3000, newFlows: 50, dstHosts: set(['10.0.0.2'], 1024), dstPorts: set(ports),
    hosts: { exact: true, k: 1024, n: 1, items: [{ ip: '10.0.0.2', packets: 50, bytes: 3000, probes: 50, ports: set(ports), open: set([]), failed: 0 }] },
    services: { exact: true, k: 256, n: 0, items: [] }, arpTargets: set([], 1024),
  },
});
const hb = (sensor: string, source: string, sentAt = 1) => ({
  sensor, sentAt, status: 'capturing', source,
  counters: { packetsSeen: 0, kernelDropped: 0, malformed: 0, published: 0, publishErrors: 0, bufferDropped: 0 },
});
const wm = (sensor: string, wmUs: number, eos = false, sources = 1, source = 0): Message => ({
  key: 'wm', value: JSON.stringify({ sensor, source, sources, wmUs, eos }), headers: { [H_KIND]: KIND_WATERMARK },
});
const j = (v: unknown, key = 'k'): Message => ({ key, value: JSON.stringify(v) });

/** A value PostgreSQL refuses for its data (class 22) in every flow of service `poison`, and a transient fault for service `flaky` while flagged. */
const REFUSING_TRIGGER = `
  CREATE TABLE test_flags (name text PRIMARY KEY);
  CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.service = 'poison' THEN RAISE EXCEPTION 'value refused by the test' USING ERRCODE = '22023'; END IF;
    IF NEW.service = 'flaky' AND EXISTS (SELECT 1 FROM test_flags WHERE name = 'flaky') THEN
      RAISE EXCEPTION 'transient fault of the test' USING ERRCODE = '40001';
    END IF;
    RETURN NEW;
  END $$;
  CREATE TRIGGER test_refuse BEFORE INSERT ON flows FOR EACH ROW EXECUTE FUNCTION test_refuse();`;

describe('detector: poison and hostile input', () => {
  const suffix = '.' + uniqueName('dethostile');
  const t = topicMap(suffix);
  let db: TestDatabase;
  let p: PipelineEnv;
  let det: ServiceProcess;

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: migrateDatabase });
    await sql(REFUSING_TRIGGER);
    p = pipelineEnv(suffix, db.url, { FLOWS_PARTITIONS: '1', STATS_PARTITIONS: '1', DETECTOR_SILENT_SOURCE_GRACE_MS: '3000' });
    det = await startDetector(p, 'det-hostile');
    await waitForGroup(p.detGroup, 1, 60000);
  }, 120000);
  afterAll(async () => {
    await det?.stop('SIGKILL');
    await db?.drop().catch(() => undefined);
    await deleteTopics(Object.values(t)).catch(() => undefined);
  });

  async function sql(text: string): Promise<Record<string, unknown>[]> {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query(text)).rows as Record<string, unknown>[];
    } finally {
      await c.end();
    }
  }
  /** Polls `query` until its rows, one text column joined, equal `want`. */
  async function waitRows(query: string, want: string[], timeoutMs = 20000): Promise<void> {
    const until = Date.now() + timeoutMs;
    let got: string[] = [];
    while (Date.now() < until) {
      got = (await sql(query)).map((r) => String(Object.values(r)[0]));
      if (JSON.stringify(got) === JSON.stringify(want)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(got).toEqual(want);
  }
  async function send(topic: string, messages: Message[]): Promise<void> {
    const producer = testKafka('det-hostile').producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (const m of messages) await producer.send({ topic, acks: -1, messages: [m] }); // one by one: in order
    await producer.disconnect();
  }
  const both = async (m: Message): Promise<void> => {
    await send(t.flows, [m]);
    await send(t.stats, [m]);
  };
  /** Dead letters whose original value mentions `marker`, once `n` of them are there. */
  async function deadLetters(marker: string, n: number, timeoutMs = 20000): Promise<DeadLetter[]> {
    const until = Date.now() + timeoutMs;
    let found: DeadLetter[] = [];
    while (Date.now() < until) {
      const admin = testKafka('det-hostile-admin').admin();
      await admin.connect();
      const total = (await admin.fetchTopicOffsets(t.deadletter)).reduce((s, x) => s + Number(x.high), 0);
      await admin.disconnect();
      const all = await consumeMessages(t.deadletter, total, { timeoutMs: 10000 });
      found = all
        .map((m) => parseJsonMessage(DeadLetterV1, m.value))
        .flatMap((d) => (d.ok ? [d.value] : []))
        .filter((d) => d.value !== null && Buffer.from(d.value, 'base64').toString().includes(marker));
      if (found.length >= n) return found;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`${found.length} of ${n} dead letters mentioning ${marker}`);
  }

  it('NUL in a flow, statistics or heartbeat text field is dead-lettered; the messages after it are stored', async () => {
    await send(t.flows, [j(flow('nul-1', 'nul')), j(flow('nul-bad', 'nul', { service: 'ht\u0000tp' })), j(flow('nul-2', 'nul'))]);
    await send(t.stats, [j(stats('nul', 100)), j(stats('nul', 101, { instance: 'p\u00000' })), j(stats('nul', 102))]);
    await send(t.sensors, [j(hb('nul-a', 'eth0')), j(hb('nul-b', 'eth\u00000')), j(hb('nul-c', 'eth0'))]);
    await waitRows(`SELECT id FROM flows WHERE sensor = 'nul' ORDER BY id`, ['nul-1', 'nul-2']);
    await waitRows(`SELECT interval_start FROM stats WHERE sensor = 'nul' ORDER BY interval_start`, ['100', '102']);
    await waitRows(`SELECT sensor FROM sensors WHERE sensor LIKE 'nul-%' ORDER BY sensor`, ['nul-a', 'nul-c']);
    const dl = await deadLetters('\\u0000', 3);
    expect(dl.map((d) => `${d.topic}:${d.code}`).sort()).toEqual([`${t.flows}:SCHEMA.INVALID`, `${t.sensors}:SCHEMA.INVALID`, `${t.stats}:SCHEMA.INVALID`]);
    for (const d of dl) expect(d.reason).toMatch(/NUL/);
  }, 60000);

  it('a message whose row PostgreSQL refuses for its data is dead-lettered and the rest of its batch stored; a transient fault is retried, not dead-lettered', async () => {
    await send(t.flows, [j(flow('poison-1', 'poison')), j(flow('poison-bad', 'poison', { service: 'poison' })), j(flow('poison-2', 'poison'))]);
    await waitRows(`SELECT id FROM flows WHERE sensor = 'poison' ORDER BY id`, ['poison-1', 'poison-2']);
    const [dl] = await deadLetters('poison-bad', 1);
    expect(dl).toMatchObject({ topic: t.flows, code: 'STORE.DATA_ERROR' });
    expect(dl.reason).toMatch(/SQLSTATE 22023.*value refused by the test/);

    await sql(`INSERT INTO test_flags VALUES ('flaky')`);
    await send(t.flows, [j(flow('flaky-1', 'flaky', { service: 'flaky' }))]);
    await det.waitFor(/transient fault of the test/, 20000);
    expect((await sql(`SELECT id FROM flows WHERE sensor = 'flaky'`)).length).toBe(0);
    await sql(`DELETE FROM test_flags`);
    await waitRows(`SELECT id FROM flows WHERE sensor = 'flaky'`, ['flaky-1'], 30000);
    await det.waitFor(/"event":"counters".*"storeRejected":1,/, 5000);
    await expect(deadLetters('flaky-1', 1, 2000)).rejects.toThrow(/0 of 1/);
  }, 90000);

  it('watermarks, statistics, flows and heartbeats far ahead of the wall clock are dead-lettered; the clock and the alerts go on', async () => {
    const s = 'future';
    await both(wm(s, 100e6));
    await both(wm(s, 9e15));
    await send(t.stats, [j(scan(s, 150), 'src:10.0.0.9'), j(stats(s, 1e12))]);
    await send(t.flows, [j(flow('future-late', s, { start: 9e9, end: 9e9 })), j(flow('future-ok', s, { start: 150, end: 151 }))]);
    await send(t.sensors, [j(hb('future-hb', 'eth0', 1e12))]);
    await both(wm(s, 200e6)); // no end of input: the alert must not wait for it
    await waitRows(`SELECT type FROM alerts WHERE sensor = '${s}'`, ['port_scan']);
    await waitRows(`SELECT interval_start FROM stats WHERE sensor = '${s}' ORDER BY interval_start`, ['150']);
    await waitRows(`SELECT id FROM flows WHERE sensor = '${s}'`, ['future-ok']);
    const dl = await deadLetters('future', 5);
    expect(dl.map((d) => d.code)).toEqual(Array(5).fill('TIME.FUTURE'));
    expect(dl.map((d) => d.reason.split(' ')[0]).sort()).toEqual(['flow', 'heartbeat', 'statistics', 'watermark', 'watermark']);
    await det.waitFor(/"event":"counters".*"futureTimes":5,/, 5000);
  }, 60000);

  it('a watermark declaring more than 1024 sources is dead-lettered; declared sources that never speak hold the clock only for the grace', async () => {
    const s = 'silent';
    await send(t.flows, [wm(s, 100e6, false, 10000)]);
    await both(wm(s, 100e6, false, 3, 0)); // sources 1 and 2 never report
    await send(t.flows, [j(flow('silent-1', s))]);
    await both(wm(s, 200e6, true, 3, 0));
    await waitSensorEnd([det], s, 20000);
    await det.waitFor(/sensor silent: clock goes on without 4 watermark stream\(s\) declared but silent for 3000 ms/, 1000);
    await det.waitFor(/"event":"counters".*"silentSources":4/, 5000);
    const [dl] = await deadLetters('"sources":10000', 1);
    expect(dl).toMatchObject({ code: 'SCHEMA.INVALID' });
    expect(dl.reason).toMatch(/^sources: /);
  }, 60000);
});
