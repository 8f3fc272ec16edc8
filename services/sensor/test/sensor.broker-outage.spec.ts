import { join } from 'node:path';
import { readEnvelope, startService } from '@netsentry/messaging';
import { decodePacketBatch } from '@netsentry/packets';
import { haveCommand, haveSharedPcaps, itIf, SHARED_PCAPS, startDedicatedBroker, testKafka, type DedicatedBroker } from '@netsentry/testing';

// The broker goes away in the middle of a replay and comes back: the sensor pauses its reader
// (bounded buffer), counts the failed sends, resumes, and publishes every packet; it never crashes.
describe('sensor during a broker outage', () => {
  let broker: DedicatedBroker | null = null;
  afterAll(async () => {
    await broker?.stop();
  });

  itIf(haveSharedPcaps && haveCommand('java'), 'needs ../shared/data/pcaps and java (dedicated Kafka broker)')(
    'resumes after the broker returns and publishes every packet',
    async () => {
      const port = 29100 + (process.pid % 400);
      broker = await startDedicatedBroker({ port });
      const file = join(SHARED_PCAPS, 'stopddos/pkt.TCP.DOMINATE.syn.ecn.cwr.pcapng'); // 9 878 packets over 34 s
      const s = startService('sensor', ['--replay', file, '--sensor-id', 'outage', '--pace', '2'], {
        KAFKA_BROKERS: broker.brokers.join(','),
        PACKETS_PARTITIONS: '2',
        SENSOR_MAX_BUFFERED_BYTES: String(1 << 20),
      });
      await s.waitFor(/"event":"started"/, 60000);
      await new Promise((r) => setTimeout(r, 2000));
      await broker.restart(); // down for the length of a clean stop and start
      const done = await s.waitFor(/"event":"replay_done"/, 180000);
      expect(await s.exited).toBe(0);
      const c = JSON.parse(done) as { packetsSeen: number; published: number; publishErrors: number; bufferDropped: number };
      expect(c.packetsSeen).toBe(9878);
      expect(c.published).toBe(9878);
      expect(c.bufferDropped).toBe(0);

      // Every packet is on the topic (at least once).
      const kafka = testKafka('outage-read', broker.brokers);
      const consumer = kafka.consumer({ groupId: 'outage-read', maxWaitTimeInMs: 100 });
      let packets = 0;
      let eos = 0;
      await consumer.connect();
      await consumer.subscribe({ topic: 'netsentry.packets.v1', fromBeginning: true });
      await new Promise<void>((res, rej) => {
        const t = setTimeout(() => rej(new Error(`${packets} packets, ${eos} end marks`)), 60000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            const e = readEnvelope(message.headers);
            if (!e.ok) return;
            if (e.value.kind === 'eos') eos++;
            if (e.value.kind === 'batch' && message.value) {
              const d = decodePacketBatch(message.value);
              if (d.ok) packets += d.batch.count;
            }
            if (eos >= 2 && packets >= 9878) {
              clearTimeout(t);
              res();
            }
          },
        });
      });
      await consumer.disconnect();
      expect(packets).toBeGreaterThanOrEqual(9878);
    },
    400000,
  );
});
