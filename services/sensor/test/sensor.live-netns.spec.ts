import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEnvelope, startService, topicMap, type ServiceProcess } from '@netsentry/messaging';
import { decodePacketBatch, ipToString, PacketRecord, readCaptureFile } from '@netsentry/packets';
import { createNetnsPair, deleteTopics, haveCommand, isRoot, itIf, testKafka, uniqueName, type NetnsPair } from '@netsentry/testing';
import { readHeartbeats } from './heartbeats';

const TOOLS = ['ip', 'ss', 'tcpdump', 'curl', 'ping', 'nmap', 'socat', 'python3'];
const missing = TOOLS.filter((t) => !haveCommand(t));
const canRun = isRoot && missing.length === 0;
const reason = !isRoot ? 'needs root (network namespaces, live capture)' : `needs ${missing.join(', ')}`;

/** Identity of a packet independent of its timestamp (cap stamps on arrival, tcpdump in the kernel). */
function key(r: PacketRecord): string {
  return `${r.proto}|${ipToString(r.src)}|${r.srcPort}|${ipToString(r.dst)}|${r.dstPort}|${r.wireLen}|${r.tcpFlags}|${r.seq}|${r.icmpType}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Two network namespaces joined by a veth pair; real traffic between them (curl against a local
// HTTP server, ping, a bounded nmap scan); the sensor captures on the veth inside namespace A and
// publishes to the real broker (reached through a unix-socket relay, since the broker listens in
// the root namespace); a test consumer decodes the batches and finds every packet tcpdump saw.
describe('sensor live capture between network namespaces', () => {
  const id = `${process.pid % 100000}`;
  const dir = mkdtempSync(join(tmpdir(), 'netsentry-live-'));
  const suffix = '.' + uniqueName('live');
  let net: NetnsPair | null = null;
  let sensor: ServiceProcess | null = null;

  afterAll(async () => {
    if (sensor) await sensor.stop('SIGKILL');
    net?.destroy();
    rmSync(dir, { recursive: true, force: true });
    if (canRun) await deleteTopics(Object.values(topicMap(suffix))).catch(() => undefined);
  });

  itIf(canRun, reason)('publishes every packet tcpdump saw on the veth, and heartbeats with counters', async () => {
    net = createNetnsPair({ prefix: 'sens', addresses: ['10.213.7.1/24', '10.213.7.2/24'] });
    const { nsA, nsB, vethA: vA } = net;
    // Broker relay: root namespace unix socket → broker; namespace A 127.0.0.1:<port> → socket.
    const broker = await net.bridgeBroker(nsA);
    net.spawn(nsB, ['python3', '-m', 'http.server', '8080', '--bind', '10.213.7.2', '--directory', dir]);
    await sleep(500);

    const sensorId = `live-${id}`;
    sensor = startService('sensor', ['--iface', vA, '--sensor-id', sensorId], {
      KAFKA_BROKERS: broker,
      NETSENTRY_TOPIC_SUFFIX: suffix,
      PACKETS_PARTITIONS: '4',
      SENSOR_HEARTBEAT_MS: '500',
      SENSOR_TICK_MS: '200',
    }, { prefix: ['ip', 'netns', 'exec', nsA] });
    await sensor.waitFor(/"event":"started"/, 60000);
    await sleep(1000);

    const pcap = join(dir, 'tcpdump.pcap');
    const td = net.spawn(nsA, ['tcpdump', '-i', vA, '-U', '-n', '-w', pcap]);
    await sleep(1500);
    for (let i = 0; i < 5; i++) net.exec(nsA, ['curl', '-s', '-o', '/dev/null', '--max-time', '5', 'http://10.213.7.2:8080/']);
    net.exec(nsA, ['ping', '-c', '5', '-i', '0.2', '-W', '1', '10.213.7.2']);
    net.exec(nsA, ['nmap', '-n', '-sS', '-Pn', '-p', '1-300', '--max-retries', '0', '-T4', '10.213.7.2'], { timeoutMs: 60000 });
    await sleep(1500);
    td.kill('SIGINT');
    await new Promise((r) => td.once('exit', r));
    await sleep(1000);
    expect(existsSync(pcap)).toBe(true);
    await sensor.stop('SIGTERM'); // graceful: flushes and marks the end of input
    sensor = null;

    // What tcpdump saw.
    const want = new Map<string, number>();
    let tdPackets = 0;
    await readCaptureFile(pcap, (r) => {
      tdPackets++;
      const k = key(r);
      want.set(k, (want.get(k) ?? 0) + 1);
    });
    expect(tdPackets).toBeGreaterThan(300);

    // What the sensor published: read every partition up to the end-of-input marks.
    const topics = topicMap(suffix);
    const kafka = testKafka('live-test');
    const consumer = kafka.consumer({ groupId: uniqueName('live-read'), maxWaitTimeInMs: 100 });
    const got = new Map<string, number>();
    const eos = new Set<number>();
    let published = 0;
    await consumer.connect();
    await consumer.subscribe({ topic: topics.packets, fromBeginning: true });
    const rec = new PacketRecord();
    await new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`end of input seen on ${eos.size}/4 partitions`)), 60000);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const env = readEnvelope(message.headers);
          if (!env.ok || env.value.sensor !== sensorId) return;
          if (env.value.kind === 'eos') eos.add(partition);
          if (env.value.kind === 'batch' && message.value) {
            const d = decodePacketBatch(message.value);
            if (!d.ok) return rej(new Error(d.reason));
            for (let i = 0; i < d.batch.count; i++) {
              d.batch.read(i, rec);
              published++;
              const k = key(rec);
              got.set(k, (got.get(k) ?? 0) + 1);
            }
          }
          if (eos.size === 4) {
            clearTimeout(t);
            res();
          }
        },
      });
    });
    await consumer.disconnect();
    let found = 0;
    const missingKeys: string[] = [];
    for (const [k, n] of want) {
      const g = got.get(k) ?? 0;
      found += Math.min(n, g);
      if (g < n) missingKeys.push(k);
    }
    expect(missingKeys.slice(0, 5)).toEqual([]);
    expect(found).toBe(tdPackets);
    expect(published).toBeGreaterThanOrEqual(tdPackets);

    // Heartbeats: status and counters.
    const hbs = await readHeartbeats(topics.sensors, sensorId);
    expect(hbs.some((h) => h.status === 'capturing')).toBe(true);
    const last = hbs[hbs.length - 1];
    expect(last.status).toBe('stopped');
    expect(last.counters.packetsSeen).toBeGreaterThanOrEqual(tdPackets);
    expect(last.counters.published).toBe(published);
    expect(last.counters.bufferDropped).toBe(0);
    expect(last.source).toBe(vA);
  }, 240000);
});
