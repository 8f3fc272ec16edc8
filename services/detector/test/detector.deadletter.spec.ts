import { DeadLetterV1, encodeFlowBatches, parseJsonMessage, type FlowV1 } from '@netsentry/contracts';
import { migrateDatabase } from '@netsentry/storage';
import { H_KIND, KIND_WATERMARK, topicMap, type ServiceProcess } from '@netsentry/messaging';
import { consumeMessages, createTestDatabase, deleteTopics, haveSharedPcaps, itIf, SHARED_PCAPS, testKafka, uniqueName, type TestDatabase } from '@netsentry/testing';
import { pcap, readStored, replay, startAggregator, startDetector, waitForGroup, waitSensorEnd, pipelineEnv } from './pipeline.harness';

// Every detector input is parsed at the edge; what fails is parked on the dead-letter topic
// with its code and reason, counted, and consumption goes on.
describe('detector dead letters', () => {
  const procs: ServiceProcess[] = [];
  let db: TestDatabase | null = null;
  const suffix = '.' + uniqueName('detdl');
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await db?.drop().catch(() => undefined);
    await deleteTopics(Object.values(topicMap(suffix))).catch(() => undefined);
  });

  itIf(haveSharedPcaps, 'needs ../shared/data/pcaps')('bad flows, statistics, heartbeats and watermarks are dead-lettered and valid input is still stored', async () => {
    db = await createTestDatabase({ migrate: migrateDatabase });
    const p = pipelineEnv(suffix, db.url);
    const t = topicMap(suffix);
    const det = await startDetector(p, 'det-dl');
    procs.push(det);
    await waitForGroup(p.detGroup, 1, 60000);
    // Flow batches: one cut short, one with a NaN feature (the encoder only writes valid flows, so the damage is made in the bytes).
    const good: FlowV1 = {
      id: 'f1', sensor: 's', proto: 6, srcIp: '10.0.0.1', srcPort: 1, dstIp: '10.0.0.2', dstPort: 80, vlan: 0, vlanInner: 0, start: 1, end: 2,
      endReason: 'fin', state: 'established', service: 'http', fwdPackets: 1, bwdPackets: 1, fwdBytes: 60, bwdBytes: 60, features: { a: 1 },
    };
    const [batch] = encodeFlowBatches([good]).batches;
    const nan = Buffer.from(batch);
    nan.writeDoubleLE(Number.NaN, nan.length - 8);
    const producer = testKafka('det-dl').producer();
    await producer.connect();
    await producer.send({
      topic: t.flows,
      acks: -1,
      messages: [
        { key: '10.0.0.1', value: '{not json' },
        { key: '10.0.0.1', value: JSON.stringify({ id: 'x', sensor: 'bad sensor id!', proto: 6 }) },
        { key: 'wm', value: JSON.stringify({ sensor: 's', source: -1 }), headers: { [H_KIND]: KIND_WATERMARK } },
        { key: '10.0.0.1', value: batch.subarray(0, batch.length - 3) },
        { key: '10.0.0.1', value: nan },
      ],
    });
    await producer.send({ topic: t.stats, acks: -1, messages: [{ key: 'global', value: JSON.stringify({ sensor: 's', entity: { kind: 'nope' } }) }] });
    await producer.send({ topic: t.sensors, acks: -1, messages: [{ key: 's', value: JSON.stringify({ sensor: 's', status: 'sleeping' }) }] });
    await producer.disconnect();

    const dl = await consumeMessages(t.deadletter, 7, { timeoutMs: 60000 });
    const parsed = dl.map((m) => parseJsonMessage(DeadLetterV1, m.value));
    expect(parsed.every((x) => x.ok)).toBe(true);
    const byTopic = parsed.map((x) => (x.ok ? `${x.value.topic}:${x.value.code}` : '')).sort();
    expect(byTopic).toEqual(
      [
        `${t.flows}:JSON.INVALID`, `${t.flows}:SCHEMA.INVALID`, `${t.flows}:SCHEMA.INVALID`, `${t.flows}:FLOWBATCH.TRUNCATED`, `${t.flows}:FLOWBATCH.INVALID`,
        `${t.sensors}:SCHEMA.INVALID`, `${t.stats}:SCHEMA.INVALID`,
      ].sort(),
    );

    // Consumption goes on: a real capture through sensor and aggregator is stored.
    const agg = await startAggregator(p, 'agg-dl');
    procs.push(agg);
    await waitForGroup(p.aggGroup, 1, 60000);
    const s = replay(p, 'dl-scan', pcap(SHARED_PCAPS, 'esnet-curated/masscan_tcp_0_1000_20190821.pcap'));
    procs.push(s);
    expect(await s.exited).toBe(0);
    await waitSensorEnd([det], 'dl-scan', 120000);
    const stored = await readStored(db.url, 'dl-scan');
    expect(stored.flows.size).toBeGreaterThan(900);
    expect(stored.alertList.map((a) => a.type)).toContain('port_scan');
    await det.waitFor(/"deadLetters":7/, 10000);
  }, 300000);
});
