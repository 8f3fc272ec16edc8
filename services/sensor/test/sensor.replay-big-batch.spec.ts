import { join } from 'node:path';
import { REPO_ROOT, startService, topicMap, type ServiceProcess } from '@netsentry/messaging';
import { readCaptureFile } from '@netsentry/packets';
import { deleteTopics, kafkaBrokers, uniqueName } from '@netsentry/testing';
import { MAX_BATCH_PACKETS } from '../src/config';
import { readHeartbeats } from './heartbeats';

const FILE = join(REPO_ROOT, 'data/samples/demo.pcap'); // 32 176 packets

// A batch larger than the whole buffer limit (SENSOR_BATCH_PACKETS at its maximum, ~300 KiB here,
// the limit at its 64 KiB minimum) must still go out on its own when nothing else is buffered:
// waiting for room that can never exist hung the replay for good.
describe('sensor replay with batches larger than the buffer limit', () => {
  const suffix = '.' + uniqueName('replay-big');
  const topics = topicMap(suffix);
  let sensor: ServiceProcess | null = null;

  afterAll(async () => {
    await sensor?.stop('SIGKILL');
    await deleteTopics(Object.values(topics)).catch(() => undefined);
  }, 60000);

  it('publishes every packet, one oversized batch at a time', async () => {
    const summary = await readCaptureFile(FILE, () => undefined);
    const sensorId = uniqueName('big');
    sensor = startService('sensor', ['--replay', FILE, '--sensor-id', sensorId], {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      NETSENTRY_TOPIC_SUFFIX: suffix,
      PACKETS_PARTITIONS: '1',
      SENSOR_BATCH_PACKETS: String(MAX_BATCH_PACKETS),
      SENSOR_BATCH_DELAY_MS: '10000',
      SENSOR_MAX_BUFFERED_BYTES: '65536',
      SENSOR_REPLAY_DRAIN_MS: '20000',
    });
    const exited = await Promise.race([sensor.exited, new Promise<string>((r) => setTimeout(() => r('still running after 40 s'), 40000))]);
    expect(exited).toBe(0);
    const hbs = await readHeartbeats(topics.sensors, sensorId);
    const last = hbs[hbs.length - 1];
    expect(last.counters.published).toBe(summary.decoded);
    expect(last.counters.dropped ?? 0).toBe(0);
  }, 90000);
});
