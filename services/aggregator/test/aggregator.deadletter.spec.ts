import { DeadLetterV1, parseJsonMessage } from '@netsentry/contracts';
import { envelopeHeaders, readFlowsUntilEnd, topicMap, type ServiceProcess } from '@netsentry/messaging';
import { PacketBatchBuilder, PacketRecord } from '@netsentry/packets';
import { consumeMessages, deleteTopics, haveSharedPcaps, itIf, produceMessages, SHARED_PCAPS, testKafka, uniqueName } from '@netsentry/testing';
import { MIXED, replay, startAggregator, waitForGroup } from './aggregator.harness';

// Unreadable packet messages are parked on the dead-letter topic with a stable code and the
// reason, counted, and the consumer goes on with the next message.
describe('aggregator dead letters', () => {
  const procs: ServiceProcess[] = [];
  const suffix = '.' + uniqueName('aggdl');
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await deleteTopics(Object.values(topicMap(suffix))).catch(() => undefined);
  });

  itIf(haveSharedPcaps, 'needs ../shared/data/pcaps')('a batch without envelope and a batch of an unknown version go to the dead-letter topic; valid input still becomes flows', async () => {
    const kafka = testKafka('agg-dl-test');
    const topics = topicMap(suffix);
    const group = uniqueName('agg-dl');
    const a = await startAggregator(suffix, group, 'agg-dl');
    procs.push(a);
    await waitForGroup(kafka, group, 1, 60000);

    const rec = new PacketRecord();
    rec.tsUs = 1_700_000_000_000_000;
    rec.l3 = 4;
    rec.proto = 6;
    rec.src.set([0, 0, 0xffff, 0x0a000001]);
    rec.dst.set([0, 0, 0xffff, 0x0a000002]);
    rec.srcPort = 1234;
    rec.dstPort = 80;
    rec.wireLen = rec.capLen = 60;
    const b = new PacketBatchBuilder(4);
    b.add(rec);
    const good = b.build();
    const badVersion = Buffer.from(good);
    badVersion[4] = 99;
    const headers = envelopeHeaders({ sensor: 'dl-sensor', kind: 'batch', wmUs: rec.tsUs, parts: 4 });
    await produceMessages(topics.packets, [
      { key: 'x', value: good, partition: 0 }, // no envelope headers
    ]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: topics.packets, acks: -1, messages: [{ key: 'y', value: badVersion, partition: 1, headers }] });
    await producer.disconnect();

    const dl = await consumeMessages(topics.deadletter, 2, { timeoutMs: 60000 });
    const parsed = dl.map((m) => parseJsonMessage(DeadLetterV1, m.value));
    const codes = parsed.map((p) => (p.ok ? p.value.code : 'UNPARSEABLE')).sort();
    expect(codes).toEqual(['BATCH.UNSUPPORTED_VERSION', 'ENVELOPE.INVALID']);
    for (const p of parsed) {
      if (!p.ok) continue;
      expect(p.value.topic).toBe(topics.packets);
      expect(p.value.reason.length).toBeGreaterThan(0);
      expect(p.value.consumer).toBe('agg-dl');
      expect(p.value.value).not.toBeNull();
    }

    // The consumer goes on: a real capture still becomes flows.
    const s = replay(suffix, 'dl-real', MIXED(SHARED_PCAPS));
    procs.push(s);
    expect(await s.exited).toBe(0);
    const flows = await readFlowsUntilEnd(kafka, topics.flows, 'dl-real', 120000);
    expect(flows.flows.length).toBeGreaterThan(0);
    await a.waitFor(/"event":"counters".*"deadLetters":2/, 10000);
  }, 300000);
});
