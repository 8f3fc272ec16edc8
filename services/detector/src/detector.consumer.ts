import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer, TopicMessages } from 'kafkajs';
import type { DataSource } from 'typeorm';
import {
  AnomalyV1 as AnomalySchema,
  decodeFlowBatch,
  FlowBatchPool,
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
import {
  createKafka, DeadLetters, ensureTopics, futureLimitUs, futureReason, kindOf, sendChunked, KIND_WATERMARK, TIME_FUTURE, topicMap, WatermarkV1, type TopicMap,
} from '@netsentry/messaging';
import { isDataException, openDataSource, recordHeartbeat, sqlState, storeAnomalies, storeFlowBatches, storeStats, upsertAlerts } from '@netsentry/storage';
import { ModelWatcher } from './model.watcher';
import { writeIsolating } from './store.isolation';
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
  /** Messages dead-lettered because a time in them was too far ahead of this machine's clock (also in deadLetters). */
  futureTimes: number;
  /** Messages dead-lettered because PostgreSQL refused their data (SQLSTATE class 22; also in deadLetters). */
  storeRejected: number;
  /** (partition, source) watermark streams a sensor's clock went on without after the grace (see DETECTOR_SILENT_SOURCE_GRACE_MS). */
  silentSources: number;
}

const T_FLOWS = 0;
const T_STATS = 1;

/** One consumed message and what it brings to store: the unit a refused write is narrowed down to. */
interface StoreUnit {
  m: KafkaMessage;
  flow?: FlowV1;
  batch?: FlowBatchV1;
  stats?: StatsV1;
  beat?: SensorHeartbeatV1;
}

/** Flow batch messages per write to PostgreSQL (~4 k flows of 512; 4, 8, 16 and 32 measured): see storeInput. */
const STORE_GROUP = 8;

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
  /** Column memory of decoded flow batches, given back once a batch is stored (no arena per batch for the GC). */
  private readonly batchPool = new FlowBatchPool();
  private newAlertIds = new Set<string>();
  private retentionTimer: NodeJS.Timeout | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  private graceBusy = false;
  /** Sensors the grace timer ended whose final alerts are not stored yet. */
  private graceEnded = new Set<SensorRules>();
  /** Per `topic/partition`: the offset after the last message this instance processed and stored (this generation). */
  private resolvedNext = new Map<string, { topic: string; partition: number; offset: number }>();
  readonly counters: DetectorCounters = {
    flows: 0, stats: 0, statsDuplicates: 0, heartbeats: 0, anomalies: 0, alertsNew: 0, alertsUpdated: 0,
    deadLetters: 0, unscoredFlows: 0, rebalances: 0, batches: 0, futureTimes: 0, storeRejected: 0, silentSources: 0,
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
      this.graceEnded = new Set();
      this.resolvedNext = new Map();
      // Which partitions this instance now reads (operators; the benchmark starts its clock here).
      process.stdout.write(JSON.stringify({ event: 'assigned', generation: this.generation, flows: a[t.flows] ?? [], stats: a[t.stats] ?? [] }) + '\n');
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
    // A clock waiting for a silent source may have no message left to move it once the grace is over.
    this.graceTimer = setInterval(() => void this.onGraceTimer(), Math.min(1000, this.cfg.silentSourceGraceMs));
    this.graceTimer.unref();
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
      r = new SensorRules(
        sensor,
        this.rulesConfig,
        this.assigned,
        (a, change) => {
          this.pendingAlerts.set(a.id, a);
          if (change === 'new') this.newAlertIds.add(a.id);
        },
        { silentGraceMs: this.cfg.silentSourceGraceMs },
      );
      this.sensors.set(sensor, r);
    }
    return r;
  }

  private reject(topic: string, partition: number, m: KafkaMessage, code: string, reason: string): void {
    this.dead!.reject({ topic, partition, offset: m.offset, code, reason, key: m.key, value: m.value });
  }

  /** Dead-letters a message whose `what` (µs) is past `limitUs`, this machine's clock plus DETECTOR_MAX_FUTURE_S. */
  private rejectFuture(topic: string, partition: number, m: KafkaMessage, what: string, tUs: number, limitUs: number): void {
    this.counters.futureTimes++;
    this.reject(topic, partition, m, TIME_FUTURE, futureReason(what, tUs, limitUs, this.cfg.maxFutureS, 'DETECTOR_MAX_FUTURE_S'));
  }

  /** Counts and logs (once each) the watermark streams these sensors' clocks have just gone on without. */
  private noteSilent(rules: Iterable<SensorRules>): void {
    for (const r of rules) {
      const gone = r.clock.takeNewlySilent();
      if (gone.length === 0) continue;
      this.counters.silentSources += gone.length;
      const names = gone.slice(0, 8).map((g) => `${g.partition >= T_STATS * 4096 ? 'stats' : 'flows'}/${g.partition % 4096} source ${g.source}`);
      this.log.warn(
        `sensor ${r.sensor}: clock goes on without ${gone.length} watermark stream(s) declared but silent for ` +
          `${this.cfg.silentSourceGraceMs} ms: ${names.join(', ')}${gone.length > names.length ? ', …' : ''}`,
      );
    }
  }

  /**
   * Moves the clocks that wait for a silent source once its grace is over (no message may be left
   * to do it: a replay that ended), then stores and publishes the alerts that released.
   */
  private async onGraceTimer(): Promise<void> {
    if (this.graceBusy || !this.ds || !this.producer) return;
    const waiting = [...this.sensors.values()].filter((r) => r.clock.waiting);
    const moved = waiting.filter((r) => r.tick());
    this.noteSilent(waiting);
    // Their input was stored by the batches that brought it; only the end-of-input flush is left.
    for (const r of moved) if (r.ended) this.graceEnded.add(r);
    if (moved.length === 0 && this.graceEnded.size === 0) return;
    this.graceBusy = true;
    this.inflight++;
    try {
      const ended = [...this.graceEnded];
      await this.publish([]);
      for (const r of ended) {
        r.stored = true;
        this.graceEnded.delete(r);
      }
    } catch (e) {
      this.log.warn(`storing alerts released by a silent source's grace failed, retrying: ${(e as Error).message}`);
    } finally {
      this.graceBusy = false;
      this.inflight--;
      if (this.inflight === 0) this.announceEnds();
    }
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
    // Once per batch: the latest time this machine's clock lets in.
    const limitUs = futureLimitUs(Date.now(), this.cfg.maxFutureS);
    const units: StoreUnit[] = [];
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
        // The latest sentAt wins in storage: a far-future one would freeze the sensor's row.
        else if (hb.value.sentAt * 1e6 > limitUs) this.rejectFuture(topic, partition, m, 'heartbeat sentAt', hb.value.sentAt * 1e6, limitUs);
        else units.push({ m, beat: hb.value });
        continue;
      }
      if (kindOf(m.headers) === KIND_WATERMARK) {
        const w = parseJsonMessage(WatermarkV1, m.value);
        if (!w.ok) {
          this.reject(topic, partition, m, w.code, w.reason);
          continue;
        }
        if (w.value.wmUs > limitUs) {
          this.rejectFuture(topic, partition, m, 'watermark', w.value.wmUs, limitUs);
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
        const d = decodeFlowBatch(m.value!, this.batchPool);
        if (!d.ok) {
          this.reject(topic, partition, m, d.code, d.reason);
          continue;
        }
        const b = d.batch;
        let endS = 0;
        for (let i = 0; i < b.count; i++) if (b.end[i] > endS) endS = b.end[i];
        if (endS * 1e6 > limitUs) {
          this.batchPool.release(b);
          this.rejectFuture(topic, partition, m, 'flow end', endS * 1e6, limitUs);
          continue;
        }
        const r = this.rules(b.sensor);
        r.onFlows(b.count);
        r.tracker(trackerKey).record(offset, endS * 1e6 + horizonUs);
        touched.add(r);
        units.push({ m, batch: b });
      } else if (tIdx === T_FLOWS) {
        const f = parseJsonMessage(FlowSchema, m.value);
        if (!f.ok) {
          this.reject(topic, partition, m, f.code, f.reason);
          continue;
        }
        if (f.value.end * 1e6 > limitUs) {
          this.rejectFuture(topic, partition, m, 'flow end', f.value.end * 1e6, limitUs);
          continue;
        }
        const r = this.rules(f.value.sensor);
        r.onFlow(f.value);
        r.tracker(trackerKey).record(offset, f.value.end * 1e6 + horizonUs);
        touched.add(r);
        units.push({ m, flow: f.value });
      } else {
        const s = parseJsonMessage(StatsSchema, m.value);
        if (!s.ok) {
          this.reject(topic, partition, m, s.code, s.reason);
          continue;
        }
        const endUs = (s.value.start + s.value.intervalS) * 1e6;
        if (endUs > limitUs) {
          this.rejectFuture(topic, partition, m, 'statistics interval end', endUs, limitUs);
          continue;
        }
        const r = this.rules(s.value.sensor);
        const key = m.key?.toString() ?? statsKey(s.value);
        if (!r.onStats(s.value, key)) this.counters.statsDuplicates++;
        // Stored even when the rules already had it: a batch retried after a failed write
        // must still write it (the upsert makes the second write a no-op).
        units.push({ m, stats: s.value });
        r.tracker(trackerKey).record(offset, endUs + horizonUs);
        touched.add(r);
      }
    }
    for (const r of touched) r.tick();
    this.noteSilent(touched);
    if (lastOffset < 0) return;
    const endedBefore = [...touched].filter((r) => r.ended);
    await this.store(units, topic, partition);
    // Stored, and the anomalies made from them are objects of their own: nothing reads these
    // batches any more. (A failed store leaves them to the GC: the redelivery decodes afresh.)
    for (const u of units) if (u.batch) this.batchPool.release(u.batch);
    for (const r of endedBefore) r.stored = true;
    await this.dead!.flush();
    this.counters.deadLetters = this.dead!.total;
    // Only now is the batch consumed: if a write above failed, kafkajs delivers it again.
    resolveOffset(String(lastOffset));
    this.resolvedNext.set(trackerKey, { topic, partition, offset: lastOffset + 1 });

    // A rebalance during this batch dropped the rule state it fed: stored rows stay (idempotent),
    // but the offsets are left for the replay.
    if (generation !== this.generation) return;
    // Commit up to the first message some sensor's rule state still depends on.
    const commit = lastOffset + 1;
    // An ended sensor's trackers may go (committing past its messages) only when nothing else is
    // still being stored: its final alerts come from the flush at the end of input and may sit in
    // another batch's write. Committing past them first lost a killed detector the messages it
    // needed to raise those alerts again with the same start (and id). Otherwise the horizon rule
    // below applies: the offsets stay until a later batch of this partition.
    //
    // When it goes, it goes from every partition at once: the partitions whose last batch finished
    // earlier (not quiet then) still hold its messages, and a restart replaying those alone
    // rebuilt part of its rule state and raised a second alert with another start.
    const quiet = this.inflight === 1 && this.pendingAlerts.size === 0;
    const keys = new Set<string>([trackerKey]);
    if (quiet) {
      for (const [name, r] of this.sensors) {
        if (!r.ended) continue;
        for (const k of r.commits.keys()) if (this.resolvedNext.has(k)) keys.add(k);
        r.commits.clear();
        if (r.reported) this.sensors.delete(name);
      }
    }
    const offsets = [...keys].map((k) => {
      let next = k === trackerKey ? commit : this.resolvedNext.get(k)!.offset;
      for (const r of this.sensors.values()) {
        const tr = r.commits.get(k);
        if (!tr) continue;
        const first = tr.firstNeeded(r.advancedUs);
        if (first >= 0 && first < next) next = first;
      }
      const at = k === trackerKey ? { topic, partition } : this.resolvedNext.get(k)!;
      return { topic: at.topic, partition: at.partition, offset: String(next) };
    });
    await this.consumer?.commitOffsets(offsets);
    await heartbeat();
  }

  /**
   * Scores, stores and publishes one batch's worth; throws on a storage or broker fault (the batch
   * is then redelivered). A write PostgreSQL refuses for its data (SQLSTATE class 22) would fail
   * the same way on every redelivery, so the messages behind it are found and dead-lettered
   * (`STORE.DATA_ERROR`) and the rest stored. The rules have already seen those messages; a
   * replay after a restart sees them again and refuses them again, so that stays consistent.
   */
  private async store(units: StoreUnit[], topic: string, partition: number): Promise<void> {
    const anomalies: AnomalyV1[] = [];
    await writeIsolating(
      units,
      async (part) => {
        for (const a of await this.storeInput(part)) anomalies.push(a);
      },
      isDataException,
      (u, e) => {
        this.counters.storeRejected++;
        this.reject(topic, partition, u.m, 'STORE.DATA_ERROR', `PostgreSQL refused it (SQLSTATE ${sqlState(e)}): ${e.message}`);
      },
    );
    await this.publish(anomalies);
  }

  /** Scores and stores the flows, statistics and heartbeats of `units` (idempotent: a part may be written twice); returns the anomalies. */
  private async storeInput(units: readonly StoreUnit[]): Promise<AnomalyV1[]> {
    const ds = this.ds!;
    const flows: FlowV1[] = [];
    const batches: FlowBatchV1[] = [];
    const stats: StatsV1[] = [];
    const beats: SensorHeartbeatV1[] = [];
    for (const u of units) {
      if (u.flow) flows.push(u.flow);
      else if (u.batch) batches.push(u.batch);
      else if (u.stats) stats.push(u.stats);
      else if (u.beat) beats.push(u.beat);
    }
    const anomalies: AnomalyV1[] = [];
    const scorer = this.models.scorer;
    let nFlows = flows.length;
    for (const b of batches) nFlows += b.count;
    if (nFlows) {
      if (scorer && flows.length) {
        const results = scorer.scoreBatch(flows);
        for (let i = 0; i < flows.length; i++) if (results[i].anomalous) anomalies.push(toAnomaly(flows[i], results[i], scorer.model));
      }
      // Flow batches go to PostgreSQL a group at a time, each group scored while the one before
      // is being written: the database starts on this partition's flows after one group's scoring
      // instead of all of it, and the last write of a round is one group, not the whole batch.
      // (Each group is its own idempotent write; a failure redelivers the batch, as before.)
      // The single flows go with the first group (alone when there are no batches).
      const groups: FlowBatchV1[][] = [];
      for (let g = 0; g < batches.length; g += STORE_GROUP) groups.push(batches.slice(g, g + STORE_GROUP));
      if (groups.length === 0) groups.push([]);
      let writing: Promise<number> | null = null;
      for (let g = 0; g < groups.length; g++) {
        // Batches are scored from their columns; only anomalous rows become objects.
        if (scorer) for (const b of groups[g]) for (const a of scorer.scoreFlowBatch(b).anomalies) anomalies.push(toAnomaly(a.flow, a.result, scorer.model));
        if (writing) await writing;
        writing = storeFlowBatches(ds, groups[g], g === 0 ? flows : []);
        writing.catch(() => undefined); // awaited below or in the next turn; never left unhandled
      }
      await writing;
    }
    if (anomalies.length) await storeAnomalies(ds, anomalies);
    if (stats.length) await storeStats(ds, stats);
    for (const hb of beats) await recordHeartbeat(ds, hb);
    // Counted once everything of these units is stored (a part that fails is written again).
    this.counters.flows += nFlows;
    if (!scorer) this.counters.unscoredFlows += nFlows;
    this.counters.anomalies += anomalies.length;
    this.counters.stats += stats.length;
    this.counters.heartbeats += beats.length;
    return anomalies;
  }

  /** Stores the pending alerts, then publishes them and `anomalies`; throws on a storage or broker fault (alerts stay pending). */
  private async publish(anomalies: AnomalyV1[]): Promise<void> {
    const ds = this.ds!;
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
    if (this.graceTimer) clearInterval(this.graceTimer);
    this.models.stop();
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await this.notifier.close();
    await this.ds?.destroy().catch(() => undefined);
  }
}
