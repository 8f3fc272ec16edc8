import { parseFlowsMessage, type FlowV1 } from '@netsentry/contracts';
import { kindOf, startService, topicMap, type ServiceProcess } from '@netsentry/messaging';
import { createNetnsPair, deleteTopics, haveCommand, isRoot, itIf, kafkaBrokers, testKafka, uniqueName, type NetnsPair } from '@netsentry/testing';

const missing = ['ip', 'ss', 'ping', 'socat'].filter((t) => !haveCommand(t));
const canRun = isRoot && missing.length === 0;
const reason = !isRoot ? 'needs root (network namespaces, live capture)' : `needs ${missing.join(', ')}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Live traffic must not leave flows hanging: a live sensor sends watermark ticks while its
// interface is quiet, so the aggregator ends an idle flow about when its idle timeout passes,
// with no later packet needed.
describe('aggregator on an idle live network', () => {
  const id = `${process.pid % 100000}`;
  const suffix = '.' + uniqueName('idle');
  const procs: ServiceProcess[] = [];
  let net: NetnsPair | null = null;

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    net?.destroy();
    if (canRun) await deleteTopics(Object.values(topicMap(suffix))).catch(() => undefined);
  });

  itIf(canRun, reason)('exports a ping flow within a second or two of its 3 s idle timeout on a silent link', async () => {
    // No IPv6 chatter on the link: the only traffic is our ping.
    net = createNetnsPair({ prefix: 'idle', addresses: ['10.213.9.1/24', '10.213.9.2/24'], ipv6: false });
    const { nsA, vethA: vA } = net;
    const broker = await net.bridgeBroker(nsA);

    const group = uniqueName('idle-agg');
    const agg = startService('aggregator', [], {
      KAFKA_BROKERS: kafkaBrokers().join(','), NETSENTRY_TOPIC_SUFFIX: suffix, AGGREGATOR_GROUP_ID: group, PACKETS_PARTITIONS: '4',
      FLOW_IDLE_TIMEOUT_S: '3', AGGREGATOR_WATERMARK_EVERY_S: '1',
    });
    procs.push(agg);
    await agg.waitFor(/"event":"started"/, 60000);
    const sensorId = `idle-${id}`;
    const sensor = startService('sensor', ['--iface', vA, '--sensor-id', sensorId], {
      KAFKA_BROKERS: broker, NETSENTRY_TOPIC_SUFFIX: suffix, PACKETS_PARTITIONS: '4', SENSOR_TICK_MS: '200',
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
    net.exec(nsA, ['ping', '-c', '3', '-i', '0.2', '-W', '1', '10.213.9.2'], { timeoutMs: 10000 });
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
