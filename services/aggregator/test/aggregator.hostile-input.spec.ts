import type { Message } from 'kafkajs';
import { DeadLetterV1, parseJsonMessage } from '@netsentry/contracts';
import { envelopeHeaders, H_PARTS, readFlowsUntilEnd, topicMap, type ServiceProcess } from '@netsentry/messaging';
import { MAX_TS_US, PacketBatchBuilder, PacketRecord, ROW_BYTES } from '@netsentry/packets';
import { consumeMessages, deleteTopics, testKafka, uniqueName } from '@netsentry/testing';
import { startAggregator, waitForGroup } from './aggregator.harness';

const T0 = 1_700_000_000_000_000;
const S = 'hostile';

/** A version-2 batch of UDP packets, one flow per source port, each at `ts(port)`. */
function batch(ports: number[], ts: (port: number) => number): Buffer {
  const b = new PacketBatchBuilder(64);
  const r = new PacketRecord();
  for (const p of ports) {
    r.reset();
    r.tsUs = ts(p);
    r.l3 = 4;
    r.proto = 17;
    r.wireLen = r.capLen = 100;
    r.src.set([0, 0, 0xffff, 0x0a000001]);
    r.dst.set([0, 0, 0xffff, 0x0a000002]);
    r.srcPort = p;
    r.dstPort = 53;
    b.add(r);
  }
  return b.build();
}

const msg = (kind: 'batch' | 'tick' | 'eos', wmUs: number, value: Buffer | null): Message => ({ key: 'k', value, headers: envelopeHeaders({ sensor: S, kind, wmUs, parts: 1 }) });

// Messages that are valid to every schema but carry a time or a size no sensor sends: a clock past
// all real traffic (a tick at 9e15 µs, one packet at 9e16 µs), a 52-byte batch claiming 2^20
// packets, an envelope declaring 5000 partitions. Each is dead-lettered or dropped and counted;
// the valid packets around them become the same flows and statistics as without them.
describe('aggregator: hostile times and sizes', () => {
  const procs: ServiceProcess[] = [];
  const suffix = '.' + uniqueName('agghostile');
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await deleteTopics(Object.values(topicMap(suffix))).catch(() => undefined);
  });

  it('far-future watermarks and packets, an oversized count and too many partitions never reach the flows or the statistics', async () => {
    const kafka = testKafka('agg-hostile');
    const t = topicMap(suffix);
    const group = uniqueName('agg-hostile');
    const one = { PACKETS_PARTITIONS: '1', FLOWS_PARTITIONS: '1', STATS_PARTITIONS: '1' };
    const agg = await startAggregator(suffix, group, 'agg-hostile', one);
    procs.push(agg);
    await waitForGroup(kafka, group, 1, 60000);

    const amplified = Buffer.alloc(52); // every column constant: 52 bytes whatever the count
    amplified.writeUInt32LE(0x4250534e, 0);
    amplified[4] = 2;
    amplified.writeUInt16LE(ROW_BYTES, 6);
    amplified.writeUInt32LE(1 << 20, 8);
    amplified[16 + 19] = 1;
    amplified.writeUInt16LE(4, 50);
    const twoDaysAhead = (Date.now() + 2 * 86_400_000) * 1000;
    const bad = new Map([[2010, 9e16], [2011, MAX_TS_US], [2012, twoDaysAhead]]);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (const m of [
      msg('batch', T0, batch([1000, 1001, 1002], () => T0)),
      msg('tick', 9e15, null),
      msg('batch', T0 + 1e6, batch([1003, 2010, 1004, 2011, 2012], (p) => bad.get(p) ?? T0 + 1e6)),
      msg('batch', T0 + 1e6, amplified),
      { key: 'k', value: batch([2020], () => T0 + 1e6), headers: { ...envelopeHeaders({ sensor: S, kind: 'batch', wmUs: T0 + 1e6, parts: 1 }), [H_PARTS]: '5000' } },
      msg('eos', T0 + 2e6, null),
    ]) {
      await producer.send({ topic: t.packets, acks: -1, messages: [m] });
    }
    await producer.disconnect();

    const out = await readFlowsUntilEnd(kafka, t.flows, S, 60000);
    expect(out.flows.map((f) => f.srcPort).sort()).toEqual([1000, 1001, 1002, 1003, 1004]);
    expect(out.flows.every((f) => f.end < T0 / 1e6 + 2)).toBe(true);

    const dl = (await consumeMessages(t.deadletter, 3, { timeoutMs: 20000 })).map((m) => parseJsonMessage(DeadLetterV1, m.value));
    const dead = dl.map((d) => (d.ok ? `${d.value.code} ${d.value.reason}` : 'unreadable'));
    expect(dead.map((d) => d.split(' ')[0]).sort()).toEqual(['BATCH.TOO_MANY_PACKETS', 'ENVELOPE.INVALID', 'TIME.FUTURE']);
    expect(dead.find((d) => d.startsWith('TIME.FUTURE'))).toMatch(/ns-wm 9000000000 s .*AGGREGATOR_MAX_FUTURE_S=86400/);

    // Statistics: only the two real intervals, with the five real packets.
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(t.stats);
    await admin.disconnect();
    const all = await consumeMessages(t.stats, ends.reduce((n, p) => n + Number(p.high), 0), { timeoutMs: 20000 });
    const globals = all.map((m) => JSON.parse(m.value!.toString()) as { start?: number; entity?: { kind: string; packets: number } }).filter((s) => s.entity?.kind === 'global');
    expect(globals.map((s) => [s.start, s.entity!.packets])).toEqual([[1_700_000_000, 3], [1_700_000_001, 2]]);

    await agg.waitFor(/"event":"counters".*"deadLetters":3,.*"badTime":3,"futureTimes":1/, 10000);
  }, 120000);
});
