import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, topicMap, type ServiceProcess } from '@netsentry/messaging';
import { PcapWriter } from '@netsentry/packets';
import { createNetnsPair, deleteTopics, haveCommand, isRoot, itIf, uniqueName, type NetnsPair } from '@netsentry/testing';
import { PCAP_RING_ADDON } from '../src/live.source';
import { readHeartbeats } from './heartbeats';

const TOOLS = ['ip', 'ss', 'tcpreplay', 'socat', 'sysctl'];
const missing = TOOLS.filter((t) => !haveCommand(t));
const built = existsSync(PCAP_RING_ADDON);
const canRun = isRoot && missing.length === 0 && built;
const reason = !isRoot
  ? 'needs root (network namespaces, live capture)'
  : missing.length
    ? `needs ${missing.join(', ')}`
    : 'needs the pcap_ring addon (npm run build:capture -w @netsentry/sensor)';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const SENT = 20_000;

/** SENT Ethernet/IPv4/UDP frames (60 bytes) from 10.9.0.1 to 10.9.0.2, ports varying. */
function writeUdpCapture(path: string): void {
  const w = new PcapWriter(path, { linkType: 1 });
  const f = Buffer.alloc(60);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 0); // dst, src MAC, IPv4
  f.set([0x45, 0, 0, 46, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 9, 0, 1, 10, 9, 0, 2], 14); // IPv4, UDP, no checksum
  f.writeUInt16BE(26, 38); // UDP length (8 + 18 payload)
  for (let i = 0; i < SENT; i++) {
    f.writeUInt16BE(1024 + (i % 50000), 34);
    f.writeUInt16BE(9000, 36);
    w.writePacket(1_700_000_000_000_000 + i * 10, f, 0, 60, 60);
  }
  w.close();
}

// The sensor's kernel drop counter is the kernel's own (pcap_stats / PACKET_STATISTICS), not an
// estimate: a sensor with the smallest ring is stopped (SIGSTOP) while SENT frames arrive, so most
// are dropped in the kernel; resumed, it takes what the ring kept. No other frame crosses the veth
// (IPv6 off: no neighbour discovery), so seen + dropped must be SENT exactly, and the heartbeat
// carries the same counters.
describe('sensor live capture: kernel drop counter', () => {
  const id = `${process.pid % 100000}`;
  const dir = mkdtempSync(join(tmpdir(), 'netsentry-drops-'));
  const suffix = '.' + uniqueName('drops');
  let net: NetnsPair | null = null;
  let sensor: ServiceProcess | null = null;

  afterAll(async () => {
    if (sensor) {
      sensor.proc.kill('SIGCONT');
      await sensor.stop('SIGKILL');
    }
    net?.destroy();
    rmSync(dir, { recursive: true, force: true });
    if (canRun) await deleteTopics(Object.values(topicMap(suffix))).catch(() => undefined);
  });

  itIf(canRun, reason)('counts packets the kernel dropped while the sensor could not read: seen + dropped = sent', async () => {
    const pcap = join(dir, 'udp.pcap');
    writeUdpCapture(pcap);
    net = createNetnsPair({ prefix: 'drop', ipv6: false });
    const { nsA, nsB, vethA: vA, vethB: vB } = net;
    const broker = await net.bridgeBroker(nsA);

    const sensorId = `drops-${id}`;
    sensor = startService('sensor', ['--iface', vA, '--sensor-id', sensorId], {
      KAFKA_BROKERS: broker,
      NETSENTRY_TOPIC_SUFFIX: suffix,
      PACKETS_PARTITIONS: '1',
      SENSOR_BUFFER_BYTES: String(1 << 16),
      SENSOR_HEARTBEAT_MS: '500',
      SENSOR_LOG_EVERY_MS: '200',
    }, { prefix: ['ip', 'netns', 'exec', nsA] });
    await sensor.waitFor(/"event":"started"/, 60000);
    await sleep(500);

    sensor.proc.kill('SIGSTOP');
    // A moderate rate: the veth's receive backlog never overflows, every frame reaches the socket.
    const replayed = net.exec(nsB, ['tcpreplay', '-q', '-i', vB, '--pps=20000', pcap], { timeoutMs: 60000 });
    expect(replayed).toMatch(new RegExp(`Actual: ${SENT} packets`));
    sensor.proc.kill('SIGCONT');
    let prev = -1;
    for (let i = 0; i < 40; i++) {
      await sleep(250);
      const l = [...sensor.lines].reverse().find((x) => x.includes('"event":"counters"'));
      const now = l ? (JSON.parse(l) as { packetsSeen: number }).packetsSeen : -1;
      if (now === prev && now > 0) break;
      prev = now;
    }
    await sensor.stop('SIGTERM');
    const stopped = JSON.parse(sensor.lines.find((l) => l.includes('"event":"stopped"')) ?? '{}') as { packetsSeen: number; kernelDropped: number };
    sensor = null;
    expect(stopped.kernelDropped).toBeGreaterThan(SENT / 2);
    expect(stopped.packetsSeen).toBeGreaterThan(0);
    expect(stopped.packetsSeen + stopped.kernelDropped).toBe(SENT);

    // The last heartbeat (status stopped) carries the same counters.
    const hbs = await readHeartbeats(topicMap(suffix).sensors, sensorId);
    const last = hbs.find((h) => h.status === 'stopped');
    expect(last?.counters.kernelDropped).toBe(stopped.kernelDropped);
    expect(last?.counters.packetsSeen).toBe(stopped.packetsSeen);
    expect(last?.message).toBeUndefined(); // no "estimated" note: the counter is the kernel's
  }, 180000);
});
