import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlowsMessage, type FlowV1 } from '@netsentry/contracts';
import { kindOf, startService, topicMap, type ServiceProcess } from '@netsentry/messaging';
import { deleteTopics, haveCommand, isRoot, itIf, kafkaBrokers, testKafka, uniqueName } from '@netsentry/testing';

const missing = ['ip', 'ping', 'socat'].filter((t) => !haveCommand(t));
const canRun = isRoot && missing.length === 0;
const reason = !isRoot ? 'needs root (network namespaces, live capture)' : `needs ${missing.join(', ')}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Live traffic must not leave flows hanging: a live sensor sends watermark ticks while its
// interface is quiet, so the aggregator ends an idle flow about when its idle timeout passes,
// with no later packet needed.
describe('aggregator on an idle live network', () => {
  const id = `${process.pid % 100000}`;
  const nsA = `nsi${id}a`;
  const nsB = `nsi${id}b`;
  const vA = `vi${id}a`;
  const vB = `vi${id}b`;
  const dir = mkdtempSync(join(tmpdir(), 'netsentry-idle-'));
  const sock = join(dir, 'kafka.sock');
  const suffix = '.' + uniqueName('idle');
  const kids: ChildProcess[] = [];
  const procs: ServiceProcess[] = [];
  const ip = (...a: string[]): void => void execFileSync('ip', a, { stdio: 'ignore' });

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    for (const k of kids) if (k.exitCode === null) k.kill('SIGKILL');
    for (const ns of [nsA, nsB]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        /* not created */
      }
    }
    rmSync(dir, { recursive: true, force: true });
    if (canRun) await deleteTopics(Object.values(topicMap(suffix))).catch(() => undefined);
  });

  itIf(canRun, reason)('exports a ping flow within a second or two of its 3 s idle timeout on a silent link', async () => {
    ip('netns', 'add', nsA);
    ip('netns', 'add', nsB);
    ip('link', 'add', vA, 'type', 'veth', 'peer', 'name', vB);
    ip('link', 'set', vA, 'netns', nsA);
    ip('link', 'set', vB, 'netns', nsB);
    ip('-n', nsA, 'addr', 'add', '10.213.9.1/24', 'dev', vA);
    ip('-n', nsB, 'addr', 'add', '10.213.9.2/24', 'dev', vB);
    for (const [ns, v] of [[nsA, vA], [nsB, vB]]) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', v, 'up');
    }
    // No IPv6 chatter on the link: the only traffic is our ping.
    for (const [ns, v] of [[nsA, vA], [nsB, vB]]) execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `net.ipv6.conf.${v}.disable_ipv6=1`], { stdio: 'ignore' });
    const [host, port] = kafkaBrokers()[0].split(':');
    kids.push(spawn('socat', [`UNIX-LISTEN:${sock},fork,reuseaddr`, `TCP:${host}:${port}`], { stdio: 'ignore' }));
    await sleep(300);
    kids.push(spawn('ip', ['netns', 'exec', nsA, 'socat', `TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${sock}`], { stdio: 'ignore' }));
    await sleep(300);

    const group = uniqueName('idle-agg');
    const agg = startService('aggregator', [], {
      KAFKA_BROKERS: kafkaBrokers().join(','), NETSENTRY_TOPIC_SUFFIX: suffix, AGGREGATOR_GROUP_ID: group, PACKETS_PARTITIONS: '4',
      FLOW_IDLE_TIMEOUT_S: '3', AGGREGATOR_WATERMARK_EVERY_S: '1',
    });
    procs.push(agg);
    await agg.waitFor(/"event":"started"/, 60000);
    const sensorId = `idle-${id}`;
    const sensor = startService('sensor', ['--iface', vA, '--sensor-id', sensorId], {
      KAFKA_BROKERS: `127.0.0.1:${port}`, NETSENTRY_TOPIC_SUFFIX: suffix, PACKETS_PARTITIONS: '4', SENSOR_TICK_MS: '200',
    }, { prefix: ['ip', 'netns', 'exec', nsA] });
    procs.push(sensor);
    await sensor.waitFor(/"event":"started"/, 60000);
    await sleep(1500);

    // Watch the flows topic from now on.
    const consumer = testKafka('idle-read').consumer({ groupId: uniqueName('idle-read'), maxWaitTimeInMs: 100 });
    const flows: { flow: FlowV1; at: number }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: topicMap(suffix).flows, fromBeginning: true });
    void consumer.run({
      eachMessage: async ({ message }) => {
        if (kindOf(message.headers)) return;
        const f = parseFlowsMessage(message.value);
        if (f.ok) for (const x of f.flows) if (x.sensor === sensorId) flows.push({ flow: x, at: Date.now() });
      },
    });
    execFileSync('ip', ['netns', 'exec', nsA, 'ping', '-c', '3', '-i', '0.2', '-W', '1', '10.213.9.2'], { stdio: 'ignore', timeout: 10000 });
    const lastPingAt = Date.now();
    // The link is now silent; nothing but the sensor's ticks moves time forward.
    for (let i = 0; i < 100 && !flows.some((x) => x.flow.proto === 1); i++) await sleep(200);
    await consumer.disconnect();
    const ping = flows.find((x) => x.flow.proto === 1);
    expect(ping).toBeDefined();
    expect(ping!.flow.srcIp).toBe('10.213.9.1');
    expect(ping!.flow.dstIp).toBe('10.213.9.2');
    expect(ping!.flow.fwdPackets).toBe(3);
    expect(ping!.flow.bwdPackets).toBe(3);
    expect(ping!.flow.endReason).toBe('idle');
    // Ended by the idle timeout (3 s after its last packet) plus at most a couple of seconds of
    // tick, watermark and delivery delay — not when some later packet happened to arrive.
    const delayS = (ping!.at - lastPingAt) / 1000;
    expect(delayS).toBeGreaterThanOrEqual(2.5);
    expect(delayS).toBeLessThan(6);
  }, 180000);
});
