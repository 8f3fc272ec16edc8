import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Consumer, EachBatchPayload, Kafka, Producer, TopicMessages } from 'kafkajs';
import type { FlowV1, StatsV1 } from '@netsentry/contracts';
import { createKafka, DeadLetters, ensureTopics, futureLimitUs, futureReason, readEnvelope, sendReliably, TIME_FUTURE, topicMap, type TopicMap } from '@netsentry/messaging';
import { MAX_TS_US, PacketBatchDecoder, PacketRecord } from '@netsentry/packets';
import { SensorPipeline } from './sensor.pipeline';
import { flowMessages } from './flows.producer';
import { statsMessages } from './stats.producer';
import { watermarkMessages } from './watermarks.producer';
import type { AggregatorConfig } from './config';

export const AGGREGATOR_CONFIG = Symbol('AGGREGATOR_CONFIG');

/** Counters of one aggregator instance. */
export interface AggregatorCounters {
  messages: number;
  packets: number;
  flows: number;
  stats: number;
  deadLetters: number;
  commits: number;
  rebalances: number;
  /** Failed produce attempts (retried). */
  publishErrors: number;
  /** Packets of valid batches dropped for their time: negative, ≥ MAX_TS_US, or too far ahead of this machine's clock. */
  badTime: number;
  /** Messages dead-lettered because their watermark was too far ahead of this machine's clock (also in deadLetters). */
  futureTimes: number;
}

/**
 * Consumes `netsentry.packets.v1` in a consumer group and turns packets into flows and partial
 * statistics. This uses a kafkajs consumer inside a Nest provider rather than the Nest Kafka
 * transport: at-least-once needs offsets committed by hand, only after the flows and stats the
 * messages produced are acknowledged, and only up to the first message whose packets still sit
 * in an open flow (so a restart replays exactly the in-memory state); the Nest transport
 * commits on its own schedule and hides the partition of each batch.
 */
@Injectable()
export class PacketsConsumer implements OnApplicationShutdown {
  private readonly log = new Logger('aggregator');
  private kafka: Kafka;
  private consumer: Consumer | null = null;
  private producer: Producer | null = null;
  private dead: DeadLetters | null = null;
  private readonly topics: TopicMap;
  /** key: `${partition}/${sensor}` */
  private pipelines = new Map<string, SensorPipeline>();
  /** Bumped at every group (re)join: a batch that straddles one must not commit. */
  private generation = 0;
  private readonly rec = new PacketRecord();
  /** Decodes every batch into the same columns (each batch is read out before the next). */
  private readonly decoder = new PacketBatchDecoder();
  private outFlows: FlowV1[] = [];
  private outStats: StatsV1[] = [];
  private downstreamParts = { flows: 1, stats: 1 };
  readonly counters: AggregatorCounters = {
    messages: 0, packets: 0, flows: 0, stats: 0, deadLetters: 0, commits: 0, rebalances: 0, publishErrors: 0, badTime: 0, futureTimes: 0,
  };
  private readonly onFlow = (f: FlowV1): void => {
    this.outFlows.push(f);
  };
  private readonly onStats = (s: StatsV1): void => {
    this.outStats.push(s);
  };

  constructor(@Inject(AGGREGATOR_CONFIG) private readonly cfg: AggregatorConfig) {
    this.topics = topicMap(cfg.topicSuffix);
    this.kafka = createKafka({ brokers: cfg.brokers, clientId: cfg.instanceId, logLevel: cfg.logLevel });
  }

  async start(): Promise<void> {
    const t = this.topics;
    const r = await ensureTopics(this.kafka, [
      { topic: t.packets, numPartitions: this.cfg.packetsPartitions },
      { topic: t.flows, numPartitions: this.cfg.flowsPartitions },
      { topic: t.stats, numPartitions: this.cfg.statsPartitions },
      { topic: t.deadletter, numPartitions: 1 },
    ]);
    this.downstreamParts = { flows: r.partitions[t.flows] ?? 1, stats: r.partitions[t.stats] ?? 1 };
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();
    this.dead = new DeadLetters(this.producer, t.deadletter, this.cfg.instanceId);
    const consumer = this.kafka.consumer({
      groupId: this.cfg.groupId,
      sessionTimeout: 15000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 4 << 20,
      allowAutoTopicCreation: false,
    });
    // Every (re)join may move partitions, and kafkajs restarts every assigned partition from its
    // committed offset: drop all in-memory state so nothing is counted twice.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.counters.rebalances++;
      this.generation++;
      this.pipelines = new Map();
    });
    await consumer.connect();
    await consumer.subscribe({ topic: t.packets, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch: (p) => this.onBatch(p) });
    this.consumer = consumer;
  }

  private pipeline(partition: number, sensor: string): SensorPipeline {
    const key = `${partition}/${sensor}`;
    let p = this.pipelines.get(key);
    if (!p || p.ended) {
      p = new SensorPipeline(sensor, partition, this.cfg, this.onFlow, this.onStats);
      this.pipelines.set(key, p);
    }
    return p;
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const partition = batch.partition;
    const generation = this.generation;
    let lastOffset = -1;
    const touched = new Set<SensorPipeline>();
    const keepUs = (this.cfg.activeTimeoutS + this.cfg.tcpCloseGraceS + this.cfg.idleTimeoutS) * 1e6;
    // Once per batch of messages: the latest time this machine's clock lets in.
    const limitUs = futureLimitUs(Date.now(), this.cfg.maxFutureS);
    const maxTsUs = Math.min(MAX_TS_US, limitUs);
    for (const m of batch.messages) {
      if (!isRunning() || isStale()) break;
      this.counters.messages++;
      const env = readEnvelope(m.headers);
      if (!env.ok || env.value.wmUs > limitUs) {
        const [code, reason] = env.ok ? [TIME_FUTURE, futureReason('ns-wm', env.value.wmUs, limitUs, this.cfg.maxFutureS, 'AGGREGATOR_MAX_FUTURE_S')] : [env.code, env.reason];
        if (env.ok) this.counters.futureTimes++;
        this.dead!.reject({ topic: batch.topic, partition, offset: m.offset, code, reason, key: m.key, value: m.value });
        resolveOffset(m.offset);
        lastOffset = Number(m.offset);
        continue;
      }
      const e = env.value;
      const pipe = this.pipeline(partition, e.sensor);
      pipe.parts = e.parts;
      touched.add(pipe);
      if (e.kind === 'batch') {
        const d = m.value ? this.decoder.decode(m.value) : ({ ok: false, code: 'BATCH.EMPTY', reason: 'batch message without a value' } as const);
        if (!d.ok) {
          this.dead!.reject({ topic: batch.topic, partition, offset: m.offset, code: d.code, reason: d.reason, key: m.key, value: m.value });
        } else {
          const b = d.batch;
          const n = b.count;
          let bad = 0;
          for (let i = 0; i < n; i++) {
            b.read(i, this.rec);
            if (!pipe.add(this.rec, maxTsUs)) bad++;
          }
          this.counters.packets += n - bad;
          this.counters.badTime += bad;
        }
      }
      pipe.advance(e.wmUs);
      // The message is needed until every flow it may feed has surely been exported.
      pipe.commits.record(Number(m.offset), e.wmUs + keepUs);
      if (e.kind === 'eos') pipe.end();
      resolveOffset(m.offset);
      lastOffset = Number(m.offset);
    }
    if (lastOffset >= 0) await this.publishAndCommit(batch.topic, partition, lastOffset + 1, touched, generation);
    await heartbeat();
  }

  /** Produces what the batch made, waits for the acks, announces watermarks, then commits. */
  private async publishAndCommit(topic: string, partition: number, next: number, touched: Set<SensorPipeline>, generation: number): Promise<void> {
    const t = this.topics;
    const flows = this.outFlows;
    const stats = this.outStats;
    this.outFlows = [];
    this.outStats = [];
    const producer = this.producer!;
    const data: TopicMessages[] = [];
    if (flows.length) data.push({ topic: t.flows, messages: flowMessages(flows, this.downstreamParts.flows) });
    if (stats.length) data.push({ topic: t.stats, messages: statsMessages(stats) });
    const onError = (e: Error): void => {
      this.counters.publishErrors++;
      this.log.warn(`publish failed, retrying: ${e.message}`);
    };
    if (data.length) {
      try {
        await sendReliably(producer, data, { onError });
      } catch (e) {
        // Keep them for the next attempt: these packets' offsets are already resolved.
        this.outFlows = flows.concat(this.outFlows);
        this.outStats = stats.concat(this.outStats);
        throw e;
      }
    }
    this.counters.flows += flows.length;
    this.counters.stats += stats.length;

    const wms: TopicMessages[] = [];
    const everyUs = this.cfg.watermarkEveryS * 1e6;
    const sent: SensorPipeline[] = [];
    for (const p of touched) {
      if (!p.ended && p.wmUs - p.sentWmUs < everyUs) continue;
      const wm = { sensor: p.sensor, source: p.partition, sources: p.parts, wmUs: p.wmUs, eos: p.ended };
      wms.push({ topic: t.flows, messages: watermarkMessages(wm, this.downstreamParts.flows) });
      wms.push({ topic: t.stats, messages: watermarkMessages(wm, this.downstreamParts.stats) });
      sent.push(p);
    }
    if (wms.length) await sendReliably(producer, wms, { onError });
    for (const p of sent) p.sentWmUs = p.wmUs;
    await this.dead!.flush();
    this.counters.deadLetters = this.dead!.total;

    // A rebalance while this batch ran dropped the state it fed: what it produced is out (at
    // least once), but its offsets must not be committed, the new owner replays them.
    if (generation !== this.generation) return;
    // Commit up to the first message that some sensor of this partition still needs.
    let needed = Number.POSITIVE_INFINITY;
    for (const [key, p] of this.pipelines) {
      if (p.partition !== partition) continue;
      if (p.ended) {
        this.pipelines.delete(key);
        continue;
      }
      const first = p.flows.size === 0 ? -1 : p.commits.firstNeeded(p.wmUs);
      if (first >= 0 && first < needed) needed = first;
    }
    const offset = Math.min(next, needed);
    {
      await this.consumer?.commitOffsets([{ topic, partition, offset: String(offset) }]);
      this.counters.commits++;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
  }
}
