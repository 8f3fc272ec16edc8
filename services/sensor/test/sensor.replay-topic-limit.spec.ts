import { join } from 'node:path';
import { REPO_ROOT, startService, topicMap, type ServiceProcess } from '@netsentry/messaging';
import { createTopics, deleteTopics, kafkaBrokers, uniqueName } from '@netsentry/testing';

const FILE = join(REPO_ROOT, 'data/samples/baseline.pcap'); // 20 785 packets over 173 s
const FILE_PACKETS = 20785;
const LIMIT = 64 * 1024; // the packets topic's max.message.bytes (an operator's setting)

interface Counters {
  packetsSeen: number;
  published: number;
  bufferDropped: number;
  undelivered: number;
}

// A packets topic whose max.message.bytes is below what the sensor sends. The broker refuses such
// a request for good; the sensor retried it for ever, so the replay never ended (its reader waits
// for room) or failed after SENSOR_REPLAY_DRAIN_MS without saying why.
describe('sensor replay to a packets topic with a small max.message.bytes', () => {
  const procs: ServiceProcess[] = [];
  const suffixes: string[] = [];
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    for (const s of suffixes) await deleteTopics(Object.values(topicMap(s))).catch(() => undefined);
  }, 60000);

  async function replay(env: Record<string, string>): Promise<{ code: number | null; done: Counters; out: string }> {
    const suffix = '.' + uniqueName('topic-limit');
    suffixes.push(suffix);
    await createTopics([topicMap(suffix).packets], 2, kafkaBrokers(), { 'max.message.bytes': String(LIMIT) });
    const s = startService('sensor', ['--replay', FILE, '--sensor-id', uniqueName('limit')], {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      NETSENTRY_TOPIC_SUFFIX: suffix,
      KAFKA_LOG_LEVEL: 'nothing',
      // The old sensor's replay ended only by giving up here.
      SENSOR_REPLAY_DRAIN_MS: '5000',
      ...env,
    });
    procs.push(s);
    const code = await s.exited;
    const done = JSON.parse(await s.waitFor(/"event":"replay_done"/, 1000)) as Counters;
    return { code, done, out: s.lines.join('\n') };
  }

  it('sends batches that fit one by one in smaller requests: everything published, exit 0', async () => {
    // 256-packet batches (format 2) fit the limit; sixteen in one request (one record batch) do not.
    const r = await replay({ SENSOR_BATCH_PACKETS: '256' });
    expect(r.done.packetsSeen).toBe(FILE_PACKETS);
    expect(r.done.published).toBe(FILE_PACKETS);
    expect(r.done.undelivered).toBe(0);
    expect(r.code).toBe(0);
  }, 120000);

  it('drops a batch that can never fit, says why, and exits 1', async () => {
    // Format 1 is 16 + 102 bytes a packet: a full batch of 1024 is ~102 kB, over the limit.
    const r = await replay({ SENSOR_BATCH_PACKETS: '1024', SENSOR_BATCH_FORMAT: '1' });
    expect(r.done.packetsSeen).toBe(FILE_PACKETS);
    // The full batches are refused (and partial ones near full); smaller ones are published.
    expect(r.done.bufferDropped).toBeGreaterThanOrEqual(1024);
    expect(r.done.published).toBeGreaterThan(0);
    expect(r.done.published + r.done.bufferDropped).toBe(FILE_PACKETS);
    expect(r.done.undelivered).toBe(r.done.bufferDropped);
    expect(r.out).toMatch(
      new RegExp(`sensor: error: ${r.done.bufferDropped} packets dropped: netsentry\\.packets\\.v1\\S* refused a batch of \\d+ packets \\(\\d+ bytes\\) for its size .*lower SENSOR_BATCH_PACKETS or raise the topic's max\\.message\\.bytes`),
    );
    expect(r.out).not.toMatch(/did not take every packet/);
    expect(r.code).toBe(1);
  }, 120000);
});
