import { Kafka, logLevel, type Admin, type IHeaders, type Producer } from 'kafkajs';
import { kafkaBrokers } from './env';
import { uniqueName } from './names';

/** A kafkajs client for tests: quiet logs, short retries, the test brokers unless given. */
export function testKafka(clientId = 'netsentry-test', brokers: string[] = kafkaBrokers()): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 15000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
  });
}

/**
 * Creates topics (auto-create is off on our brokers), with `config` (e.g. max.message.bytes), and
 * waits until each has a leader for every partition. Topics that already exist are left as they are.
 */
export async function createTopics(
  names: string[],
  partitions = 1,
  brokers: string[] = kafkaBrokers(),
  config: Record<string, string> = {},
): Promise<void> {
  const admin = testKafka('netsentry-test-admin', brokers).admin();
  await admin.connect();
  try {
    const configEntries = Object.entries(config).map(([name, value]) => ({ name, value }));
    await admin.createTopics({
      waitForLeaders: false,
      timeout: 15000,
      topics: names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1, configEntries })),
    });
    await leadersOf(admin, names);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits (at most 30 s) until every partition of `topics` has a leader. kafkajs's own wait retries
 * only LEADER_NOT_AVAILABLE, and a freshly started broker answers a new topic's metadata with
 * UNKNOWN_TOPIC_OR_PARTITION for a moment: the same rule as libs/messaging's ensureTopics (which
 * this shared library may not import).
 */
async function leadersOf(admin: Admin, topics: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    let why: string;
    try {
      const meta = await admin.fetchTopicMetadata({ topics });
      if (meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
      why = 'a partition without a leader';
    } catch (e) {
      const type = (e as { type?: string }).type;
      if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw e;
      why = (e as Error).message;
    }
    if (Date.now() + delay > deadline) throw new Error(`topics ${topics.join(', ')} not ready after 30 s: ${why}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Deletes topics, ignoring ones that do not exist (test clean-up). */
export async function deleteTopics(names: string[], brokers: string[] = kafkaBrokers()): Promise<void> {
  const admin = testKafka('netsentry-test-admin', brokers).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = names.filter((n) => existing.has(n));
    if (topics.length) await admin.deleteTopics({ topics, timeout: 15000 });
  } finally {
    await admin.disconnect();
  }
}

/** One message as read back by `consumeMessages`. */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

export interface ConsumeOptions {
  /** Give up after this long; the promise rejects naming how many of `count` arrived. Default 30 s. */
  timeoutMs?: number;
  /** Consumer group; default a unique one (so every call reads the whole topic). */
  groupId?: string;
  /** Read from the earliest offset (default true). */
  fromBeginning?: boolean;
  brokers?: string[];
}

/** Every message of `topic` now: as many as its end offsets say, in partition order per partition. */
export async function consumeWholeTopic(topic: string, opts: ConsumeOptions = {}): Promise<ConsumedMessage[]> {
  const admin = testKafka('netsentry-test-offsets', opts.brokers).admin();
  await admin.connect();
  let total = 0;
  try {
    for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high) - Number(p.low);
  } finally {
    await admin.disconnect();
  }
  return consumeMessages(topic, total, opts);
}

/**
 * Reads `count` messages from `topics` (all partitions) and disconnects. Rejects with a clear
 * message when fewer arrive within `timeoutMs`. More messages may exist: it stops at `count`.
 */
export async function consumeMessages(
  topics: string | string[],
  count: number,
  opts: ConsumeOptions = {},
): Promise<ConsumedMessage[]> {
  const list = Array.isArray(topics) ? topics : [topics];
  const timeoutMs = opts.timeoutMs ?? 30000;
  const consumer = testKafka('netsentry-test-consumer', opts.brokers).consumer({
    groupId: opts.groupId ?? uniqueName('test-group'),
    sessionTimeout: 10000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 200,
  });
  const got: ConsumedMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: list, fromBeginning: opts.fromBeginning ?? true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`consumeMessages: ${got.length} of ${count} messages from ${list.join(',')} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      if (count <= 0) {
        clearTimeout(timer);
        resolve();
        return;
      }
      // eachBatch with manual resolve: offsets past `count` are never marked consumed, so a
      // named group resumes exactly after the last message returned here.
      consumer
        .run({
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
            for (const message of batch.messages) {
              if (got.length >= count) break;
              got.push({
                topic: batch.topic,
                partition: batch.partition,
                offset: message.offset,
                key: message.key,
                value: message.value,
                headers: message.headers ?? {},
              });
              resolveOffset(message.offset);
            }
            await heartbeat();
            if (got.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch((e: unknown) => {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        });
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

/** Sends messages and waits for the broker's acks (acks=-1); returns after disconnecting. */
export async function produceMessages(
  topic: string,
  messages: { key?: string | Buffer | null; value: string | Buffer | null; partition?: number }[],
  brokers: string[] = kafkaBrokers(),
): Promise<void> {
  const producer: Producer = testKafka('netsentry-test-producer', brokers).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}
