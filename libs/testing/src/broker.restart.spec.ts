import { startDedicatedBroker, type DedicatedBroker } from './broker';
import { consumeMessages, createTopics, testKafka } from './kafka';
import { uniqueName } from './names';

// Kafka round trip with a broker restart in between: everything acknowledged before the
// restart, and everything sent after it, is read back exactly once by a consumer group that
// also committed part of its offsets before the restart. Runs on its own broker (free ports, its
// own data dir) so the shared 9092 broker other tests use is never touched.
describe('kafka round trip across a broker restart (dedicated broker)', () => {
  let broker: DedicatedBroker | undefined;
  afterAll(async () => {
    await broker?.stop();
  }, 60000);

  it('loses no acknowledged message and keeps committed offsets', async () => {
    broker = await startDedicatedBroker();
    expect(broker.port).not.toBe(9092);
    const topic = uniqueName('netsentry.test.restart');
    const group = uniqueName('restart-group');
    await createTopics([topic], 2, broker.brokers);

    const kafka = testKafka('restart-test', broker.brokers);
    let producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
    await producer.connect();
    const before = Array.from({ length: 200 }, (_, i) => ({ key: `k${i % 13}`, value: `before-${i}` }));
    await producer.send({ topic, acks: -1, messages: before });
    await producer.disconnect();

    // A group reads the first 100 and commits them, then goes away.
    const first = await consumeMessages(topic, 100, { groupId: group, brokers: broker.brokers });
    expect(first).toHaveLength(100);

    await broker.restart();

    producer = testKafka('restart-test-2', broker.brokers).producer({ idempotent: true, allowAutoTopicCreation: false });
    await producer.connect();
    const after = Array.from({ length: 100 }, (_, i) => ({ key: `k${i % 13}`, value: `after-${i}` }));
    await producer.send({ topic, acks: -1, messages: after });
    await producer.disconnect();

    // A fresh group sees every message ever acknowledged, exactly once.
    const all = await consumeMessages(topic, 300, { brokers: broker.brokers, timeoutMs: 60000 });
    const values = all.map((m) => m.value!.toString());
    expect(new Set(values).size).toBe(300);
    expect(values.sort()).toEqual([...before, ...after].map((m) => m.value).sort());

    // The first group resumes after its committed offsets: at most the uncommitted tail of the
    // last batch is redelivered (at-least-once), and nothing is missing.
    const rest = await consumeMessages(topic, 200, { groupId: group, brokers: broker.brokers, timeoutMs: 60000 });
    const seen = new Set([...first, ...rest].map((m) => m.value!.toString()));
    expect(seen.size).toBe(300);
  }, 300000);
});
