import { Kafka, logLevel, type Admin, type ITopicConfig } from 'kafkajs';

/** Options for one service's Kafka client. */
export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  /** kafkajs log level name; defaults to `error` (kafkajs is chatty at info). */
  logLevel?: 'nothing' | 'error' | 'warn' | 'info' | 'debug';
}

const LEVELS = { nothing: logLevel.NOTHING, error: logLevel.ERROR, warn: logLevel.WARN, info: logLevel.INFO, debug: logLevel.DEBUG } as const;

/** Builds a kafkajs client with bounded retries so a dead broker surfaces as an error, not a hang. */
export function createKafka(opts: KafkaClientOptions): Kafka {
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: LEVELS[opts.logLevel ?? 'error'],
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5000 },
    connectionTimeout: 5000,
  });
}

/** A topic the calling service owns, with its explicit partition count. */
export interface TopicSpec {
  topic: string;
  numPartitions: number;
  /** Topic-level configs, e.g. retention.ms. */
  configEntries?: { name: string; value: string }[];
}

/**
 * Creates the owned topics that do not exist yet (the broker runs with auto-create off).
 * Idempotent; a topic that exists with a different partition count is left alone and reported.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[]): Promise<{ created: string[]; partitions: Record<string, number> }> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing: ITopicConfig[] = specs
      .filter((s) => !existing.has(s.topic))
      .map((s) => ({ topic: s.topic, numPartitions: s.numPartitions, replicationFactor: 1, configEntries: s.configEntries }));
    if (missing.length > 0) {
      try {
        // Not kafkajs's waitForLeaders: it retries only LEADER_NOT_AVAILABLE and threw "does not
        // host this topic-partition" on a freshly started broker; waitForLeaders below takes both.
        await admin.createTopics({ topics: missing, waitForLeaders: false });
      } catch (e) {
        // Another instance may have created it between list and create: that is fine.
        if (!/already exists/i.test(String((e as Error).message))) throw e;
      }
    }
    const partitions = await waitForLeaders(admin, specs.map((s) => s.topic));
    return { created: missing.map((m) => m.topic), partitions };
  } finally {
    await admin.disconnect();
  }
}

/** How long a service start waits for topics another instance is still creating. */
const LEADERS_WAIT_MS = 30_000;

/**
 * Partition counts of `topics` once every partition has a leader. A topic another instance has
 * just created (its create answered "already exists", or it was already listed) can be listed
 * before its partitions have leaders: metadata then fails with UNKNOWN_TOPIC_OR_PARTITION ("This
 * server does not host this topic-partition") or shows leader -1, which stopped services started
 * together (docker compose up). Retried for a bounded time; other errors are thrown at once.
 */
async function waitForLeaders(admin: Admin, topics: string[], waitMs = LEADERS_WAIT_MS): Promise<Record<string, number>> {
  const deadline = Date.now() + waitMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    let why: string;
    try {
      const meta = await admin.fetchTopicMetadata({ topics });
      const leaderless = meta.topics.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0));
      if (leaderless.length === 0) return Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
      why = `no leader yet for ${leaderless.map((t) => t.name).join(', ')}`;
    } catch (e) {
      const type = (e as { type?: string }).type;
      if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw e;
      why = (e as Error).message;
    }
    if (Date.now() + delay > deadline) throw new Error(`topics not ready after ${waitMs} ms: ${why}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Number of partitions of an existing topic (0 when it does not exist). */
export async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) return 0;
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    return meta.topics[0]?.partitions.length ?? 0;
  } finally {
    await admin.disconnect();
  }
}
