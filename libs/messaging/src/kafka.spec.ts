import { deleteTopics, testKafka, uniqueName } from '@netsentry/testing';
import { ensureTopics } from './kafka';

// Services started together (docker compose up) call ensureTopics while another instance is
// still creating the same topics: the broker lists a topic before its partitions have leaders,
// and metadata answered "This server does not host this topic-partition", which stopped the
// service at start (seen on 8 of 30 fresh topics here before the wait for leaders).
describe('ensureTopics while another client creates the topic', () => {
  const names: string[] = [];
  afterAll(async () => {
    await deleteTopics(names).catch(() => undefined);
  });

  it('waits for the partitions instead of failing', async () => {
    const kafka = testKafka('ensure-race');
    const admin = kafka.admin();
    await admin.connect();
    const results: string[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        const topic = uniqueName('ensure.race');
        names.push(topic);
        const creating = admin.createTopics({ topics: [{ topic, numPartitions: 8 }], waitForLeaders: false });
        const ensured = ensureTopics(kafka, [{ topic, numPartitions: 8 }]).then(
          (r) => `${r.partitions[topic]}`,
          (e: Error) => `error: ${e.message}`,
        );
        const [, out] = await Promise.all([creating.catch(() => false), ensured]);
        results.push(out);
      }
    } finally {
      await admin.disconnect();
    }
    expect(results).toEqual(Array(30).fill('8'));
  }, 120000);
});
