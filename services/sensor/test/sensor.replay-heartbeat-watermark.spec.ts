import { join } from 'node:path';
import { REPO_ROOT, startService, topicMap, type ServiceProcess } from '@netsentry/messaging';
import { readCaptureFile } from '@netsentry/packets';
import { deleteTopics, kafkaBrokers, uniqueName } from '@netsentry/testing';
import { readHeartbeats } from './heartbeats';

const FILE = join(REPO_ROOT, 'data/samples/demo.pcap'); // 32 176 packets over 163 s

// Replay heartbeats carry the packet-time watermark of what was published, as live ones do: the
// batcher lives in the replay worker, so the main thread learns it from the batches it sends.
describe('sensor replay heartbeats', () => {
  const suffix = '.' + uniqueName('replay-hb');
  const topics = topicMap(suffix);
  let sensor: ServiceProcess | null = null;

  afterAll(async () => {
    await sensor?.stop('SIGKILL');
    await deleteTopics(Object.values(topics)).catch(() => undefined);
  }, 60000);

  it('carry the watermark of the last packet time published', async () => {
    const summary = await readCaptureFile(FILE, () => undefined);
    const sensorId = uniqueName('hb');
    // Pace 40: ~4 s, so heartbeats every 100 ms land while it replays.
    sensor = startService('sensor', ['--replay', FILE, '--sensor-id', sensorId, '--pace', '40'], {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      NETSENTRY_TOPIC_SUFFIX: suffix,
      PACKETS_PARTITIONS: '2',
      SENSOR_HEARTBEAT_MS: '100',
    });
    expect(await sensor.exited).toBe(0);

    const hbs = await readHeartbeats(topics.sensors, sensorId);
    const last = hbs[hbs.length - 1];
    expect(last.status).toBe('stopped');
    expect(last.counters.published).toBe(summary.decoded);
    // Everything was published: the clock is the file's newest packet time.
    expect(last.watermark).toBe(summary.lastTsUs / 1e6);
    // Every heartbeat sent once something was published says how far packet time got, never back.
    const replaying = hbs.filter((h) => h.status === 'replaying' && h.counters.published > 0);
    expect(replaying.length).toBeGreaterThan(0);
    for (const h of replaying) {
      expect(h.watermark).toBeGreaterThanOrEqual(summary.firstTsUs / 1e6);
      expect(h.watermark).toBeLessThanOrEqual(summary.lastTsUs / 1e6);
    }
    const wms = hbs.map((h) => h.watermark ?? 0);
    expect(wms).toEqual([...wms].sort((a, b) => a - b));
  }, 90000);
});
