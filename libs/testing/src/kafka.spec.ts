import { consumeMessages, createTopics, deleteTopics, produceMessages, testKafka } from './kafka';
import { uniqueName } from './names';

describe('kafka helpers against the shared broker', () => {
  const topic = uniqueName('netsentry.test.helpers');
  afterAll(() => deleteTopics([topic]));

  it('creates a topic with the asked partition count', async () => {
    await createTopics([topic], 3);
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(md.topics[0].partitions).toHaveLength(3);
    } finally {
      await admin.disconnect();
    }
  });

  it('reads back exactly what was produced, keys and values, across partitions', async () => {
    const sent = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 7}`, value: `v${i}` }));
    await produceMessages(topic, sent);
    const got = await consumeMessages(topic, 30, { timeoutMs: 30000 });
    expect(got.map((m) => m.value?.toString()).sort()).toEqual(sent.map((m) => m.value).sort());
    // Same key, same partition.
    const partOf = new Map<string, number>();
    for (const m of got) {
      const k = m.key!.toString();
      if (partOf.has(k)) expect(partOf.get(k)).toBe(m.partition);
      partOf.set(k, m.partition);
    }
  });

  it('rejects with a count when too few messages arrive', async () => {
    await expect(consumeMessages(topic, 31, { timeoutMs: 4000 })).rejects.toThrow(/30 of 31/);
  });
});
