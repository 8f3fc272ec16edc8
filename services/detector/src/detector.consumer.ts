import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer, TopicMessages } from 'kafkajs';
import type { DataSource } from 'typeorm';
import {
  AnomalyV1 as AnomalySchema,
  decodeFlowBatch,
  FlowV1 as FlowSchema,
  isFlowBatch,
  parseJsonMessage,
  SensorHeartbeatV1 as HeartbeatSchema,
  StatsV1 as StatsSchema,
  statsKey,
  type AlertV1,
  type AnomalyV1,
  type FlowBatchV1,
  type FlowV1,
  type SensorHeartbeatV1,
  type StatsV1,
} from '@netsentry/contracts';
import { loadRulesConfig, toAnomaly, type RulesConfig } from '@netsentry/detection';
import { createKafka, DeadLetters, ensureTopics, kindOf, sendChunked, KIND_WATERMARK, topicMap, WatermarkV1, type TopicMap } from '@netsentry/messaging';
import { openDataSource, recordHeartbeat, storeAnomalies, storeFlowBatches, storeStats, upsertAlerts } from '@netsentry/storage';
import { ModelWatcher } from './model.watcher';
import { SensorRules } from './sensor.rules';
import { AlertsNotifier } from './alerts.notifier';
import type { DetectorConfig } from './config';

export const DETECTOR_CONFIG = Symbol('DETECTOR_CONFIG');

export interface DetectorCounters {
  flows: number;
  stats: number;
  statsDuplicates: number;
  heartbeats: number;
  anomalies: number;
  alertsNew: number;
  alertsUpdated: number;
  deadLetters: number;
  unscoredFlows: number;
  rebalances: number;
  batches: number;
}

const T_FLOWS = 0;
const T_STATS = 1;

/**
 * Consumes flows, statistics and sensor heartbeats; scores flows with the active model; runs the
 * rules per sensor on the event-time clock the aggregators' watermarks give; stores everything
 * through libs/storage (bulk, idempotent) and publishes alerts and anomalies.
 *
 * A kafkajs consumer inside a Nest provider, not the Nest Kafka transport, because offsets must
 * be committed by hand only after the rows are stored and the alerts published, and only up to
 * the first message that in-memory rule state still depends on (`replayHorizonS`): a restarted
 * detector then rebuilds exactly the windows and open alerts it lost, and the idempotent writes
 * (flow id, alert id upserts, anomaly id) make the replay invisible in the database.
 */
@Injectable()
export class DetectorConsumer implements OnApplicationShutdown {
  private readonly log = new Logger('detector');
  private readonly kafka: Kafka;
  private readonly topics: TopicMap;
  private consumer: Consumer | null = null;
  private producer: Producer | null = null;
  private dead: DeadLetters | null = null;
  ds: DataSource | null = null;
  private rulesConfig: RulesConfig;
  private sensors = new Map<string, SensorRules>();
  /** Bumped at every group (re)join: a batch that straddles one must not commit. */
  private generation = 0;
  /** Batches being handled right now (partitions are consumed concurrently). */
  private inflight = 0;
  private assigned: number[] = [];
  private pendingAlerts = new Map<string, AlertV1>();
  private newAlertIds = new Set<string>();
  private retentionTimer: NodeJS.Timeout | null = null;
  readonly counters: DetectorCounters = {
    flows: 0, stats: 0, statsDuplicates: 0, heartbeats: 0, anomalies: 0, alertsNew: 0, alertsUpdated: 0,
    deadLetters: 0, unscoredFlows: 0, rebalances: 0, batches: 0,
  };

  constructor(
    @Inject(DETECTOR_CONFIG) private readonly cfg: DetectorConfig,
    private readonly models: ModelWatcher,
    private readonly notifier: AlertsNotifier,
  ) {
    this.topics = topicMap(cfg.topicSuffix);
    this.kafka = createKafka({ brokers: cfg.brokers, clientId: cfg.instanceId, logLevel: cfg.logLevel });
    this.rulesConfig = loadRulesConfig(cfg.rulesYaml);
  }

  async start(): Promise<void> {
    const t = this.topics;
    await ensureTopics(this.kafka, [
      { topic: t.flows, numPartitions: this.cfg.flowsPartitions },
      { topic: t.stats, numPartitions: this.cfg.statsPartitions },
      { topic: t.sensors, numPartitions: 1 },
      { topic: t.alerts, numPartitions: this.cfg.alertsPartitions },
      { topic: t.anomalies, numPartitions: this.cfg.anomaliesPartitions },
      { topic: t.deadletter, numPartitions: 1 },
    ]);
    this.ds = await openDataSource({ url: this.cfg.databaseUrl, poolSize: 4 });
    await this.models.start(this.ds, this.cfg.modelPollMs);
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();
    this.dead = new DeadLetters(this.producer, t.deadletter, this.cfg.instanceId);
    const consumer = this.kafka.consumer({
      groupId: this.cfg.groupId,
      sessionTimeout: 15000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 8 << 20,
      maxBytes: this.cfg.fetchMaxBytes,
      allowAutoTopicCreation: false,
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      // kafkajs restarts every assigned partition from its committed offset after a join:
      // forget all rule state so the replay rebuilds it without double counting.
      this.counters.rebalances++;
      const a = e.payload.memberAssignment as Record<string, number[]>;
      this.assigned = [...(a[t.flows] ?? []).map((p) => T_FLOWS * 4096 + p), ...(a[t.stats] ?? []).map((p) => T_STATS * 4096 + p)];
      this.generation++;
      this.sensors = new Map();
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [t.flows, t.stats, t.sensors], fromBeginning: true });
    // Batches of different partitions overlap (their writes wait on PostgreSQL); each partition's
    // batches stay in order, and rule state is only touched synchronously between awaits.
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.cfg.concurrency,
      eachBatch: (p) => this.onBatch(p),
    });
    this.consumer = consumer;
    const every = this.cfg.retentionEveryMs;
    this.retentionTimer = setInterval(() => void this.retention(), every);
    this.retentionTimer.unref();
  }

  /** Applies the retention policy once (also run on a timer). */
  async retention(): Promise<void> {
    if (!this.ds) return;
    const { applyRetention } = await import('@netsentry/storage');
    try {
      await applyRetention(this.ds, {
        flowsDays: this.cfg.retentionFlowsDays,
        statsDays: this.cfg.retentionStatsDays,
        alertsDays: this.cfg.retentionAlertsDays,
        anomaliesDays: this.cfg.retentionAnomaliesDays,
      });
    } catch (e) {
      this.log.error(`retention failed: ${(e as Error).message}`);
    }
  }

  private rules(sensor: string): SensorRules {
    let r = this.sensors.get(sensor);
    if (!r || (r.ended && !r.clock.eos)) {
      r = new SensorRules(sensor, this.rulesConfig, this.assigned, (a, change) => {
        this.pendingAlerts.set(a.id, a);
        if (change === 'new') this.newAlertIds.add(a.id);
      });
      this.sensors.set(sensor, r);
    }
    return r;
  }

  private reject(topic: string, partition: number, m: KafkaMessage, code: string, reason: string): void {
    this.dead!.reject({ topic, partition, offset: m.offset, code, reason, key: m.key, value: m.value });
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    this.inflight++;
    try {
      await this.handleBatch(payload);
    } finally {
      this.inflight--;
      if (this.inflight === 0) this.announceEnds();
    }
  }

  /** Announces sensors whose input is entirely stored (called when no batch is still storing). */
  private announceEnds(): void {
    for (const r of this.sensors.values()) {
      if (r.ended && !r.reported && r.stored) {
        r.reported = true;
        // Everything of this sensor's input is stored: tests and operators wait for this line.
        const cpu = process.cpuUsage();
        process.stdout.write(JSON.stringify({ event: 'sensor_end', sensor: r.sensor, ...this.counters, cpuMs: Math.round((cpu.user + cpu.system) / 1000) }) + '\n');
      }
    }
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const t = this.topics;
    const topic = batch.topic;
    const partition = batch.partition;
    const tIdx = topic === t.flows ? T_FLOWS : topic === t.stats ? T_STATS : -1;
    const streamKey = tIdx * 4096 + partition;
    const trackerKey = `${topic}/${partition}`;
    const horizonUs = this.cfg.replayHorizonS * 1e6;
    const generation = this.generation;
    const flows: FlowV1[] = [];
    const flowBatches: FlowBatchV1[] = [];
    const stats: StatsV1[] = [];
    const beats: SensorHeartbeatV1[] = [];
    const touched = new Set<SensorRules>();
    let lastOffset = -1;
    this.counters.batches++;

    for (const m of batch.messages) {
      if (!isRunning() || isStale()) break;
      const offset = Number(m.offset);
      lastOffset = offset;
      if (tIdx < 0) {
        const hb = parseJsonMessage(HeartbeatSchema, m.value);
        if (!hb.ok) this.reject(topic, partition, m, hb.code, hb.reason);
        else beats.push(hb.value);
        continue;
      }
      if (kindOf(m.headers) === KIND_WATERMARK) {
        const w = parseJsonMessage(WatermarkV1, m.value);
        if (!w.ok) {
          this.reject(topic, partition, m, w.code, w.reason);
          continue;
        }
        const r = this.rules(w.value.sensor);
        r.clock.setSources(w.value.sources);
        r.clock.update(streamKey, w.value.source, w.value.wmUs, w.value.eos);
        r.tracker(trackerKey).record(offset, w.value.wmUs + horizonUs);
        touched.add(r);
        continue;
      }
      if (tIdx === T_FLOWS && isFlowBatch(m.value)) {
        // A flow batch (libs/contracts flow-batch.v1): validated columns, no per-flow object.
        const d = decodeFlowBatch(m.value!);
        if (!d.ok) {
          this.reject(topic, partition, m, d.code, d.reason);
          continue;
        }
        const b = d.batch;
        const r = this.rules(b.sensor);
        r.onFlows(b.count);
        let endS = 0;
        for (let i = 0; i < b.count; i++) if (b.end[i] > endS) endS = b.end[i];
        r.tracker(trackerKey).record(offset, endS * 1e6 + horizonUs);
        touched.add(r);
        flowBatches.push(b);
      } else if (tIdx === T_FLOWS) {
        const f = parseJsonMessage(FlowSchema, m.value);
        if (!f.ok) {
          this.reject(topic, partition, m, f.code, f.reason);
          continue;
        }
        const r = this.rules(f.value.sensor);
        r.onFlow(f.value);
        r.tracker(trackerKey).record(offset, f.value.end * 1e6 + horizonUs);
        touched.add(r);
        flows.push(f.value);
      } else {
        const s = parseJsonMessage(StatsSchema, m.value);
        if (!s.ok) {
          this.reject(topic, partition, m, s.code, s.reason);
          continue;
        }
        const r = this.rules(s.value.sensor);
        const key = m.key?.toString() ?? statsKey(s.value);
        if (!r.onStats(s.value, key)) this.counters.statsDuplicates++;
        // Stored even when the rules already had it: a batch retried after a failed write
        // must still write it (the upsert makes the second write a no-op).
        stats.push(s.value);
        r.tracker(trackerKey).record(offset, (s.value.start + s.value.intervalS) * 1e6 + horizonUs);
        touched.add(r);
      }
    }
    for (const r of touched) r.tick();
    if (lastOffset < 0) return;
    const endedBefore = [...touched].filter((r) => r.ended);
    await this.store(flows, flowBatches, stats, beats);
    for (const r of endedBefore) r.stored = true;
    await this.dead!.flush();
    this.counters.deadLetters = this.dead!.total;
    // Only now is the batch consumed: if a write above failed, kafkajs delivers it again.
    resolveOffset(String(lastOffset));

    // A rebalance during this batch dropped the rule state it fed: stored rows stay (idempotent),
    // but the offsets are left for the replay.
    if (generation !== this.generation) return;
    // Commit up to the first message some sensor's rule state still depends on.
    let commit = lastOffset + 1;
    // An ended sensor's trackers may go (committing past its messages) only when nothing else is
    // still being stored: its final alerts come from the flush at the end of input and may sit in
    // another batch's write. Committing past them first lost a killed detector the messages it
    // needed to raise those alerts again with the same start (and id). Otherwise the horizon rule
    // below applies: the offsets stay until a later batch of this partition.
    const quiet = this.inflight === 1 && this.pendingAlerts.size === 0;
    for (const [name, r] of this.sensors) {
      const tr = r.commits.get(trackerKey);
      if (!tr) continue;
      if (r.ended && quiet) {
        r.commits.delete(trackerKey);
        if (r.commits.size === 0 && r.reported) this.sensors.delete(name);
        continue;
      }
      const first = tr.firstNeeded(r.advancedUs);
      if (first >= 0 && first < commit) commit = first;
    }
    await this.consumer?.commitOffsets([{ topic, partition, offset: String(commit) }]);
    await heartbeat();
  }

  /** Scores, stores and publishes one batch's worth; throws on a storage or broker fault (the batch is then redelivered). */
  private async store(flows: FlowV1[], batches: FlowBatchV1[], stats: StatsV1[], beats: SensorHeartbeatV1[]): Promise<void> {
    const ds = this.ds!;
    const anomalies: AnomalyV1[] = [];
    const scorer = this.models.scorer;
    let nFlows = flows.length;
    for (const b of batches) nFlows += b.count;
    if (nFlows) {
      if (scorer) {
        if (flows.length) {
          const results = scorer.scoreBatch(flows);
          for (let i = 0; i < flows.length; i++) if (results[i].anomalous) anomalies.push(toAnomaly(flows[i], results[i], scorer.model));
        }
        // Batches are scored from their columns; only anomalous rows become objects.
        for (const b of batches) for (const a of scorer.scoreFlowBatch(b).anomalies) anomalies.push(toAnomaly(a.flow, a.result, scorer.model));
      } else this.counters.unscoredFlows += nFlows;
      await storeFlowBatches(ds, batches, flows);
      this.counters.flows += nFlows;
    }
    if (anomalies.length) {
      await storeAnomalies(ds, anomalies);
      this.counters.anomalies += anomalies.length;
    }
    if (stats.length) {
      await storeStats(ds, stats);
      this.counters.stats += stats.length;
    }
    for (const hb of beats) await recordHeartbeat(ds, hb);
    this.counters.heartbeats += beats.length;

    const alerts = [...this.pendingAlerts.values()];
    const fresh = this.newAlertIds;
    this.pendingAlerts = new Map();
    this.newAlertIds = new Set();
    try {
      if (alerts.length) await upsertAlerts(ds, alerts);
    } catch (e) {
      // Rule state has moved on and will not raise these again: keep them for the next write.
      for (const a of alerts) if (!this.pendingAlerts.has(a.id)) this.pendingAlerts.set(a.id, a);
      for (const id of fresh) this.newAlertIds.add(id);
      throw e;
    }
    for (const a of alerts) {
      if (fresh.has(a.id)) this.counters.alertsNew++;
      else this.counters.alertsUpdated++;
    }
    const out: TopicMessages[] = [];
    if (alerts.length) out.push({ topic: this.topics.alerts, messages: alerts.map((a) => ({ key: a.id, value: JSON.stringify(a) })) });
    if (anomalies.length) {
      out.push({
        topic: this.topics.anomalies,
        messages: anomalies.filter((a) => AnomalySchema.safeParse(a).success).map((a) => ({ key: a.id, value: JSON.stringify(a) })),
      });
    }
    if (out.length) await sendChunked(this.producer!, out);
    for (const a of alerts) this.notifier.offer(a, fresh.has(a.id) ? 'new' : 'update');
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.models.stop();
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await this.notifier.close();
    await this.ds?.destroy().catch(() => undefined);
  }
}
