import { Kafka, logLevel } from 'kafkajs';
import { readEnvelope } from '@netsentry/messaging';
import { consumeMessages, createTopics, deleteTopics, kafkaBrokers, testKafka, uniqueName } from '@netsentry/testing';
import type { OutBatch } from './packets.batcher';
import { PacketsProducer } from './packets.producer';
import { SensorCounters } from './sensor.counters';

// Live mode with the broker unreachable: the buffer stays bounded, what does not fit is counted
// as dropped, failed sends are counted, and nothing throws.
describe('PacketsProducer backpressure', () => {
  it('drops and counts past the buffer bound while the broker is unreachable', async () => {
    // A port nothing listens on: every send fails (fast retries so the test stays short).
    const kafka = new Kafka({ clientId: 'bp-test', brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING, retry: { retries: 0, initialRetryTime: 10 }, connectionTimeout: 200 });
    const producer = kafka.producer();
    const counters = new SensorCounters();
    const p = new PacketsProducer(producer, 'netsentry.packets.v1.bp', 'bp-sensor', 2, 250_000, counters);
    const batch = (partition: number) => ({ partition, kind: 'batch' as const, wmUs: 1, value: new Uint8Array(100_000), packets: 1000 });
    const accepted: boolean[] = [];
    for (let i = 0; i < 10; i++) accepted.push(p.offer(batch(i % 2), true));
    expect(accepted.filter(Boolean).length).toBe(2);
    expect(counters.bufferDropped).toBe(8000);
    expect(p.bufferedBytes).toBeLessThanOrEqual(250_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(counters.publishErrors).toBeGreaterThan(0);
    expect(counters.published).toBe(0);
    // Shutdown gives up after its timeout instead of hanging.
    expect(await p.drain(300)).toBe(false);
    await producer.disconnect().catch(() => undefined);
  });
});

// A batch larger than the whole bound is taken when nothing is buffered (live mode dropped every
// one of them for good), and only then: the next one still waits for room.
describe('PacketsProducer with a batch larger than the bound', () => {
  it('takes it alone into an empty buffer', async () => {
    const kafka = new Kafka({ clientId: 'bp-big', brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING, retry: { retries: 0, initialRetryTime: 10 }, connectionTimeout: 200 });
    const producer = kafka.producer();
    const counters = new SensorCounters();
    const p = new PacketsProducer(producer, 'netsentry.packets.v1.big', 'big-sensor', 1, 65_536, counters);
    const big = { partition: 0, kind: 'batch' as const, wmUs: 1, value: new Uint8Array(300_000), packets: 3000 };
    expect(p.offer(big, true)).toBe(true);
    expect(p.offer({ ...big, wmUs: 2 }, true)).toBe(false);
    expect(counters.bufferDropped).toBe(3000);
    expect(await p.drain(300)).toBe(false);
    await producer.disconnect().catch(() => undefined);
  });
});

// Real broker: batches, ticks and end marks offered in bursts over 4 partitions (requests of
// several batches) arrive once each, in offered order per partition.
describe('PacketsProducer order', () => {
  const topic = uniqueName('netsentry.packets.v1.order');
  afterAll(async () => {
    await deleteTopics([topic]).catch(() => undefined);
  });

  it('keeps every partition in the order offered, nothing lost or doubled', async () => {
    await createTopics([topic], 4);
    const producer = testKafka('pp-order').producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 5 });
    await producer.connect();
    const counters = new SensorCounters();
    const p = new PacketsProducer(producer, topic, 'order-sensor', 4, 64 << 20, counters);
    // The watermark numbers the messages; batch sizes vary so requests hold 1..16 batches per partition.
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const offered: number[][] = [[], [], [], []];
    let packets = 0;
    for (let wm = 1; wm <= 600; wm++) {
      const partition = Math.floor(rand() * 4);
      const kind: OutBatch['kind'] = wm % 9 === 0 ? 'tick' : 'batch';
      const n = 1 + Math.floor(rand() * 50);
      const b: OutBatch = kind === 'batch' ? { partition, kind, wmUs: wm, value: new Uint8Array(n * 1000), packets: n } : { partition, kind, wmUs: wm, value: null, packets: 0 };
      packets += b.packets;
      offered[partition].push(wm);
      expect(p.offer(b, false)).toBe(true);
      if (wm % 40 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    for (let q = 0; q < 4; q++) {
      p.offer({ partition: q, kind: 'eos', wmUs: 601, value: null, packets: 0 }, false);
      offered[q].push(601);
    }
    expect(await p.drain(60_000)).toBe(true);
    await producer.disconnect();
    expect(counters.published).toBe(packets);
    expect(counters.publishErrors).toBe(0);
    expect(p.bufferedBytes).toBe(0);

    const got = await consumeMessages(topic, 604, { timeoutMs: 60_000 });
    const seen: number[][] = [[], [], [], []];
    for (const m of got) {
      const e = readEnvelope(m.headers);
      if (!e.ok) throw new Error(e.reason);
      seen[m.partition].push(e.value.wmUs);
    }
    expect(seen).toEqual(offered);
  }, 120_000);
});

// Real broker, a packets topic with a small max.message.bytes (an operator's setting): several
// batches that fit one by one make one record batch that does not, and a batch may not fit at
// all. The refused request used to be retried for ever, holding up its partition (and a replay,
// whose reader waits for room) for good.
describe('PacketsProducer on a topic that refuses large record batches', () => {
  const topic = uniqueName('netsentry.packets.v1.too-large');
  afterAll(async () => {
    await deleteTopics([topic]).catch(() => undefined);
  });

  it('sends in smaller requests, drops and counts only a batch refused on its own', async () => {
    await createTopics([topic], 1, kafkaBrokers(), { 'max.message.bytes': String(64 * 1024) });
    const producer = testKafka('pp-too-large').producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 5 });
    await producer.connect();
    const counters = new SensorCounters();
    const p = new PacketsProducer(producer, topic, 'too-large-sensor', 1, 64 << 20, counters);
    const acked: number[] = [];
    const refusals: string[] = [];
    p.onAck = (kib) => acked.push(kib);
    p.onRefused = (why) => refusals.push(why);
    // Ten 20 kB batches (together one request, 200 kB), then one of 100 kB, then two more of 20 kB.
    const batch = (wmUs: number, bytes: number): OutBatch => ({ partition: 0, kind: 'batch', wmUs, value: new Uint8Array(bytes), packets: bytes / 100 });
    for (let wm = 1; wm <= 10; wm++) p.offer(batch(wm, 20_000), false);
    p.offer(batch(11, 100_000), false);
    p.offer(batch(12, 20_000), false);
    p.offer(batch(13, 20_000), false);
    p.offer({ partition: 0, kind: 'eos', wmUs: 14, value: null, packets: 0 }, false);

    expect(await p.drain(60_000)).toBe(true);
    await producer.disconnect();
    expect(counters.published).toBe(12 * 200);
    expect(p.refusedPackets).toBe(1000);
    expect(counters.bufferDropped).toBe(1000);
    expect(p.bufferedBytes).toBe(0);
    // Every batch's room is given back, the refused one's too (a replay's reader goes on).
    expect(acked.reduce((a, b) => a + b, 0)).toBe(12 * Math.ceil(20_000 / 1024) + Math.ceil(100_000 / 1024));
    expect(refusals).toHaveLength(1);
    expect(p.refusal).toBe(refusals[0]);
    expect(p.refusal).toMatch(new RegExp(`^${topic.replace(/\./g, '\\.')} refused a batch of 1000 packets \\(100000 bytes\\) for its size .*lower SENSOR_BATCH_PACKETS or raise the topic's max\\.message\\.bytes$`));

    // On the topic: the twelve that fit and the end mark, in the order offered.
    const got = await consumeMessages(topic, 13, { timeoutMs: 60_000 });
    const wms = got.map((m) => {
      const e = readEnvelope(m.headers);
      if (!e.ok) throw new Error(e.reason);
      return e.value.wmUs;
    });
    expect(wms).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14]);
  }, 120_000);
});

// A topic that is not there (deleted, or never created with auto-creation off): every send fails
// until it exists. The operator is told once per outage (not per partition or retry) why nothing
// is published, with kafkajs's error, and once when every partition publishes again; nothing
// offered is lost or reordered.
describe('PacketsProducer while the topic is missing', () => {
  const topic = uniqueName('netsentry.packets.v1.missing');
  afterAll(async () => {
    await deleteTopics([topic]).catch(() => undefined);
  });

  it('says once why it cannot publish and once that it publishes again, and delivers everything in order', async () => {
    const kafka = new Kafka({ clientId: 'pp-missing', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 5 });
    await producer.connect();
    const counters = new SensorCounters();
    const p = new PacketsProducer(producer, topic, 'missing-sensor', 2, 64 << 20, counters);
    const failing: string[] = [];
    const recovered: number[] = [];
    p.onFailing = (why) => failing.push(why);
    p.onRecovered = (n) => recovered.push(n);
    const batch = (wmUs: number): OutBatch => ({ partition: wmUs % 2, kind: 'batch', wmUs, value: new Uint8Array(1000), packets: 10 });
    for (let wm = 1; wm <= 6; wm++) p.offer(batch(wm), false);
    // Several failed sends on both partitions (retried with backoff), one message.
    const t0 = Date.now();
    while (counters.publishErrors < 4 && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 100));
    expect(counters.publishErrors).toBeGreaterThanOrEqual(4);
    expect(failing).toHaveLength(1);
    expect(failing[0]).toContain(`cannot publish to ${topic}: `);
    expect(failing[0]).toMatch(/does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION|retries/i);
    expect(recovered).toEqual([]);

    await createTopics([topic], 2);
    expect(await p.drain(60_000)).toBe(true);
    await producer.disconnect();
    expect(failing).toHaveLength(1);
    expect(recovered).toEqual([counters.publishErrors]);
    expect(counters.published).toBe(60);
    const got = await consumeMessages(topic, 6, { timeoutMs: 60_000 });
    const byPartition: Record<number, number[]> = { 0: [], 1: [] };
    for (const m of got) {
      const e = readEnvelope(m.headers);
      if (!e.ok) throw new Error(e.reason);
      byPartition[m.partition].push(e.value.wmUs);
    }
    expect(byPartition).toEqual({ 0: [2, 4, 6], 1: [1, 3, 5] });
  }, 180_000);
});
