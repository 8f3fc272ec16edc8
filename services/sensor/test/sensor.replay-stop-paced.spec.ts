import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type ServiceProcess } from '@netsentry/messaging';
import { ROW_BYTES } from '@netsentry/packets';
import { haveCommand, itIf, startDedicatedBroker, type DedicatedBroker } from '@netsentry/testing';

/** One Ethernet/IPv4/UDP frame, 10.0.0.1:40000 → 10.0.0.2:9999, 18 bytes of payload. */
function frame(): Buffer {
  const f = Buffer.alloc(14 + 20 + 8 + 18);
  f.writeUInt16BE(0x0800, 12); // EtherType IPv4
  f[14] = 0x45; // version 4, IHL 5
  f.writeUInt16BE(20 + 8 + 18, 16); // total length
  f[22] = 64; // TTL
  f[23] = 17; // UDP
  Buffer.from([10, 0, 0, 1]).copy(f, 26);
  Buffer.from([10, 0, 0, 2]).copy(f, 30);
  f.writeUInt16BE(40000, 34);
  f.writeUInt16BE(9999, 36);
  f.writeUInt16BE(8 + 18, 38);
  return f;
}

/** A classic little-endian µs pcap (Ethernet) of that frame at each time. */
function pcap(tsUs: number[]): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(65535, 16);
  h.writeUInt32LE(1, 20);
  const data = frame();
  const parts = [h];
  for (const t of tsUs) {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(Math.floor(t / 1e6), 0);
    r.writeUInt32LE(t % 1e6, 4);
    r.writeUInt32LE(data.length, 8);
    r.writeUInt32LE(data.length, 12);
    parts.push(r, data);
  }
  return Buffer.concat(parts);
}

const BATCH = 200;
const LIMIT = 64 * 1024; // SENSOR_MAX_BUFFERED_BYTES, the smallest allowed

const GAP_S = 20; // capture time between the first packet and the burst, replayed in real time

// A paced replay flushes its partial batches before each pacing sleep. When that flush waits for
// room (the broker takes nothing: a broker of this spec's own, which it stops) and a SIGTERM
// comes then, the stop must not be slept through: the reader used to go on to sleep until the
// next packet's time (here an hour of quiet in the capture), so the graceful stop hung until it
// was killed.
describe('sensor replay stopped while a paced flush waits for room', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netsentry-paced-stop-'));
  let broker: DedicatedBroker | null = null;
  const procs: ServiceProcess[] = [];
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120000);

  itIf(haveCommand('java'), 'needs java (a Kafka broker of its own)')('stops within SENSOR_STOP_DRAIN_MS, not after the gap to the next packet', async () => {
    // One packet; GAP_S later 700 of the same flow (three full batches and 100 packets left in a
    // partial one); one more an hour later: reading it, the paced reader flushes the partial
    // batch, then would sleep.
    const t0 = 1_700_000_000_000_000;
    const t1 = t0 + GAP_S * 1e6;
    const file = join(dir, 'hour-gap.pcap');
    writeFileSync(file, pcap([t0, ...Array<number>(3 * BATCH + 100).fill(t1), t1 + 3600e6]));
    // Format 1 batches are 16 + n × ROW_BYTES bytes: three full ones fill the buffer so far that
    // the partial one finds no room.
    const kib = (n: number): number => Math.ceil((16 + n * ROW_BYTES) / 1024);
    expect(3 * kib(BATCH) * 1024).toBeLessThanOrEqual(LIMIT);
    expect((3 * kib(BATCH) + kib(100)) * 1024).toBeGreaterThan(LIMIT);
    broker = await startDedicatedBroker();
    const sensor = startService('sensor', ['--replay', file, '--sensor-id', 'paced-stop', '--pace', 'realtime'], {
      KAFKA_BROKERS: broker.brokers.join(','),
      PACKETS_PARTITIONS: '2',
      KAFKA_LOG_LEVEL: 'nothing',
      SENSOR_LOG_EVERY_MS: '100',
      SENSOR_BATCH_PACKETS: String(BATCH),
      SENSOR_BATCH_FORMAT: '1',
      SENSOR_MAX_BUFFERED_BYTES: String(LIMIT),
      SENSOR_STOP_DRAIN_MS: '1000',
    });
    procs.push(sensor);
    // The first packet is published; the broker goes while the reader sleeps until the burst.
    await sensor.waitFor(/"event":"counters".*"published":1,/, 60000);
    await broker.stop();
    broker = null;
    // The three full batches reached the main thread; a second counters line saying so comes a
    // period later, when the reader (which had a few hundred packets left to add) waits for room.
    const full = /"event":"counters".*"packetsSeen":601,/;
    await sensor.waitFor(full, 60000);
    for (let i = 0; i < 100 && sensor.lines.filter((l) => full.test(l)).length < 2; i++) await new Promise((r) => setTimeout(r, 100));

    // stop() kills it with SIGKILL after 10 s (exit code null); a graceful stop takes about 1 s here.
    expect(await sensor.stop('SIGTERM')).toBe(1);
    const s = JSON.parse(await sensor.waitFor(/"event":"replay_stopped"/, 1000)) as { packetsSeen: number; published: number; bufferDropped: number; bufferedPeakBytes: number };
    expect(s.published).toBe(1); // the broker was gone before the burst (else this is no test)
    expect(s.bufferDropped).toBe(100); // the partial batch, dropped at the stop for want of room
    expect(s.packetsSeen).toBe(1 + 3 * BATCH + 100); // the packet an hour later was not replayed
    expect(s.bufferedPeakBytes).toBeLessThanOrEqual(LIMIT);
    await sensor.waitFor(/sensor: error: stopped with 700 packets read and not delivered to Kafka \(1 of 701 published\)/, 1000);
  }, 180000);
});
