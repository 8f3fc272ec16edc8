import { Kafka, logLevel } from 'kafkajs';
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
