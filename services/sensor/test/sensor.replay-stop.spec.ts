import { join } from 'node:path';
import { readEnvelope, readFlowsUntilEnd, REPO_ROOT, startService, topicMap, type ServiceProcess } from '@netsentry/messaging';
import { decodePacketBatch, PacketRecord } from '@netsentry/packets';
import { consumeWholeTopic, deleteTopics, kafkaBrokers, testKafka, uniqueName } from '@netsentry/testing';

const FILE = join(REPO_ROOT, 'data/samples/baseline.pcap'); // 20 785 packets over 173 s
const FILE_PACKETS = 20785;

// A graceful stop (SIGTERM) in the middle of a replay: what was read is published, then the end
// of input (`eos`) on every partition after the last batch, so the aggregator ends the sensor's
// flows (every packet published is in an exported flow) and releases its clock; exit 0.
describe('sensor replay stopped mid-file', () => {
  const suffix = '.' + uniqueName('replay-stop');
  const topics = topicMap(suffix);
  const procs: ServiceProcess[] = [];

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await deleteTopics(Object.values(topics)).catch(() => undefined);
  }, 60000);

  it('publishes eos after its last batch and the aggregator ends its flows', async () => {
    const env = { KAFKA_BROKERS: kafkaBrokers().join(','), NETSENTRY_TOPIC_SUFFIX: suffix, PACKETS_PARTITIONS: '2' };
    const aggregator = startService('aggregator', [], { ...env, AGGREGATOR_GROUP_ID: uniqueName('agg'), AGGREGATOR_INSTANCE_ID: 'a1' });
    procs.push(aggregator);
    await aggregator.waitFor(/"event":"started"/, 60000);

    const sensorId = uniqueName('stop');
    // Pace 10: ~17 s for the whole file, so the stop lands in the middle.
    const sensor = startService('sensor', ['--replay', FILE, '--sensor-id', sensorId, '--pace', '10'], {
      ...env,
      SENSOR_LOG_EVERY_MS: '200',
      SENSOR_BATCH_PACKETS: '512',
    });
    procs.push(sensor);
    await sensor.waitFor(/"event":"counters".*"published":[1-9]/, 60000);
    expect(await sensor.stop('SIGTERM')).toBe(0);
    const stopped = JSON.parse(await sensor.waitFor(/"event":"stopped"/, 1000)) as { packetsSeen: number; published: number };
    expect(stopped.published).toBeGreaterThan(0);
    expect(stopped.published).toBe(stopped.packetsSeen);
    expect(stopped.packetsSeen).toBeLessThan(FILE_PACKETS); // it was stopped mid-file

    // The packets topic: on each partition, this sensor's batches, then one eos, nothing after it.
    const msgs = await consumeWholeTopic(topics.packets, { timeoutMs: 30000 });
    const byPart = new Map<number, string[]>();
    const rec = new PacketRecord();
    let packets = 0;
    let ipPackets = 0; // the ones flows are made of
    for (const m of msgs) {
      const e = readEnvelope(m.headers);
      if (!e.ok || e.value.sensor !== sensorId) continue;
      const kinds = byPart.get(m.partition) ?? [];
      kinds.push(e.value.kind);
      byPart.set(m.partition, kinds);
      if (e.value.kind === 'batch' && m.value) {
        const d = decodePacketBatch(m.value);
        if (!d.ok) throw new Error(d.reason);
        packets += d.batch.count;
        for (let i = 0; i < d.batch.count; i++) {
          d.batch.read(i, rec);
          if ((rec.l3 as number) === 4 || (rec.l3 as number) === 6) ipPackets++;
        }
      }
    }
    expect([...byPart.keys()].sort()).toEqual([0, 1]);
    for (const kinds of byPart.values()) {
      expect(kinds.filter((k) => k === 'eos')).toHaveLength(1);
      expect(kinds[kinds.length - 1]).toBe('eos');
    }
    expect(packets).toBe(stopped.published);

    // The aggregator ended the sensor's flows: end of input on every stream, every IP packet in a flow.
    const r = await readFlowsUntilEnd(testKafka('replay-stop-flows'), topics.flows, sensorId, 30000);
    let flowPackets = 0;
    for (const f of r.flows) flowPackets += f.fwdPackets + f.bwdPackets;
    expect(ipPackets).toBeGreaterThan(0);
    expect(flowPackets).toBe(ipPackets);
  }, 120000);
});

