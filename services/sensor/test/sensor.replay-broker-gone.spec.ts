import { join } from 'node:path';
import { REPO_ROOT, startService, type ServiceProcess } from '@netsentry/messaging';
import { haveCommand, itIf, startDedicatedBroker, type DedicatedBroker } from '@netsentry/testing';

const BASELINE = join(REPO_ROOT, 'data/samples/baseline.pcap'); // 20 785 packets over 173 s
const ATTACKS = join(REPO_ROOT, 'data/samples/attacks.pcap'); // 50 218 packets over 227 s
const LIMIT = 1 << 16; // SENSOR_MAX_BUFFERED_BYTES of the stopped sensor: the smallest allowed

interface Counters {
  packetsSeen: number;
  published: number;
  bufferDropped: number;
  undelivered: number;
  bufferedPeakBytes: number;
}

// The broker goes away for good in the middle of two replays (a broker of this spec's own, which
// it stops): one replay reaches the end of its file and gives up after SENSOR_REPLAY_DRAIN_MS;
// the other is stopped (SIGTERM) while its reader waits for room. Neither may report success:
// each says how many packets Kafka did not take and exits 1, within its bounded wait.
describe('sensor replay when the broker is gone for good', () => {
  let broker: DedicatedBroker | null = null;
  const procs: ServiceProcess[] = [];
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await broker?.stop();
  }, 120000);

  itIf(haveCommand('java'), 'needs java (a Kafka broker of its own)')(
    'exits 1 naming the packets not delivered, at the end of the file and on SIGTERM',
    async () => {
      broker = await startDedicatedBroker();
      const env = { KAFKA_BROKERS: broker.brokers.join(','), PACKETS_PARTITIONS: '2', SENSOR_LOG_EVERY_MS: '100', KAFKA_LOG_LEVEL: 'nothing' };
      // Reaches the end of its file (64 MiB buffer holds the rest of it) with the broker gone.
      const ending = startService('sensor', ['--replay', BASELINE, '--sensor-id', 'gone-end', '--pace', '40'], {
        ...env,
        SENSOR_REPLAY_DRAIN_MS: '2000',
      });
      // Reads on until its 64 KiB buffer is full, then waits for the broker; stopped there.
      const stopped = startService('sensor', ['--replay', ATTACKS, '--sensor-id', 'gone-stop', '--pace', '20'], {
        ...env,
        SENSOR_MAX_BUFFERED_BYTES: String(LIMIT),
        SENSOR_BATCH_PACKETS: '256',
        SENSOR_STOP_DRAIN_MS: '2000',
      });
      procs.push(ending, stopped);
      await Promise.all([ending, stopped].map((s) => s.waitFor(/"event":"counters".*"published":[1-9]/, 60000)));
      await broker.stop();
      broker = null;

      const [stopCode, endCode] = await Promise.all([stopped.stop('SIGTERM'), ending.exited]);

      // SIGTERM: it stops reading, tries to flush within SENSOR_STOP_DRAIN_MS, gives up, says so.
      expect(stopCode).toBe(1);
      const s = JSON.parse(await stopped.waitFor(/"event":"replay_stopped"/, 1000)) as Counters;
      expect(s.packetsSeen).toBeLessThan(50218); // it stopped reading: not the whole file
      expect(s.published).toBeLessThan(s.packetsSeen);
      expect(s.undelivered).toBe(s.packetsSeen - s.published);
      expect(s.bufferedPeakBytes).toBeLessThanOrEqual(LIMIT);
      await stopped.waitFor(new RegExp(`sensor: error: stopped with ${s.undelivered} packets read and not delivered to Kafka \\(${s.published} of ${s.packetsSeen} published\\)`), 1000);

      // End of the file: it waits SENSOR_REPLAY_DRAIN_MS for Kafka, then fails naming the count.
      expect(endCode).toBe(1);
      const e = JSON.parse(await ending.waitFor(/"event":"replay_done"/, 1000)) as Counters;
      expect(e.packetsSeen).toBe(20785);
      expect(e.published).toBeLessThan(e.packetsSeen);
      expect(e.undelivered).toBe(e.packetsSeen - e.published);
      await ending.waitFor(new RegExp(`sensor: error: Kafka did not take every packet within 2 s of the end of the replay: ${e.published} of ${e.packetsSeen} published`), 1000);
    },
    180000,
  );
});
