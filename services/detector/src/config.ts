import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Severity } from '@netsentry/contracts';

/** Detector configuration, read once from the environment and validated; fails fast naming the setting. */
export const DetectorConfig = z.object({
  brokers: z.array(z.string().regex(/^[^:,\s]+:\d{1,5}$/, 'host:port')).min(1),
  groupId: z.string().min(1).max(200).default('netsentry-detector'),
  instanceId: z.string().min(1).max(200),
  topicSuffix: z.string().regex(/^[A-Za-z0-9._-]*$/).default(''),
  alertsPartitions: z.number().int().min(1).max(1024).default(4),
  anomaliesPartitions: z.number().int().min(1).max(1024).default(4),
  /** Partition counts used if the detector starts before the aggregator created its topics. */
  flowsPartitions: z.number().int().min(1).max(1024).default(4),
  statsPartitions: z.number().int().min(1).max(1024).default(4),
  /** Partitions whose batches are processed (and stored) at the same time. */
  concurrency: z.number().int().min(1).max(64).default(4),
  /**
   * Bytes one fetch may bring from the broker (all partitions). kafkajs fetches again only when
   * every batch of the last fetch is stored, so larger fetches mean fewer of those pauses
   * (docs/bench/pipeline.md: 64 MiB stored ~10–40 % more flows/s than kafkajs's 10 MiB).
   */
  fetchMaxBytes: z.number().int().min(1 << 20).max(1 << 30).default(64 << 20),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL'),
  /** Model registry group whose active model scores this detector's flows. */
  sensorGroup: z.string().min(1).max(128).default('default'),
  /** How often the registry is checked for a newly activated model (ms). */
  modelPollMs: z.number().int().min(100).max(3_600_000).default(5000),
  /** Rules configuration (YAML text), from DETECTOR_RULES_FILE; defaults when unset. */
  rulesYaml: z.string().optional(),
  /**
   * Event time (s) a consumed message stays uncommitted: after a crash the detector replays this
   * much, so rule windows and open alerts are rebuilt exactly (at the cost of re-reading).
   */
  replayHorizonS: z.number().positive().max(86400).default(900),
  /**
   * Seconds an event time (watermark, statistics interval end, flow end) or a heartbeat's sentAt
   * may be ahead of this machine's wall clock (default one day: clock skew, never real traffic).
   * A message past it is dead-lettered (`TIME.FUTURE`): one far-future time would move a
   * sensor's clock past all real traffic (libs/messaging time.ts).
   */
  maxFutureS: z.number().positive().max(366 * 86400).default(86400),
  /**
   * Wall-clock ms a sensor's clock waits for a declared upstream source (packet partition) that
   * has never sent a watermark on a partition this instance reads; after it the clock goes on
   * without that stream until it speaks (counted in `silentSources`, logged once each). A real
   * source reports within seconds of the first.
   */
  silentSourceGraceMs: z.number().int().min(100).max(86_400_000).default(60_000),
  /** Retention: days of flows / statistics / alerts / anomalies kept, and how often to apply it. */
  retentionFlowsDays: z.number().positive().max(3650).default(7),
  retentionStatsDays: z.number().positive().max(3650).default(7),
  retentionAlertsDays: z.number().positive().max(3650).default(90),
  retentionAnomaliesDays: z.number().positive().max(3650).default(90),
  retentionEveryMs: z.number().int().min(1000).max(86_400_000).default(3_600_000),
  /**
   * Scheduled retraining (off when 0, the default): every `retrainEveryMs` a candidate model is
   * trained on the last `retrainWindowS` of stored flows (packet time) of `retrainSensors` (all
   * when empty), and activated only if it flags at most `retrainMaxFlagged` of the flows of the
   * last `retrainGuardWindowS` of that window; otherwise it is stored inactive, refused.
   */
  retrainEveryMs: z.number().int().min(0).max(30 * 86_400_000).refine((v) => v === 0 || v >= 1000, '0 (off) or at least 1000').default(0),
  retrainWindowS: z.number().positive().max(90 * 86400).default(86400),
  retrainGuardWindowS: z.number().positive().max(90 * 86400).default(3600),
  retrainMaxFlagged: z.number().min(0).max(1).default(0.05),
  retrainMinFlows: z.number().int().min(16).max(10_000_000).default(1000),
  /** Most stored flows read per run (thinned deterministically above it); the trainer's own sampling limit. */
  retrainMaxRows: z.number().int().min(16).max(2_000_000).default(100_000),
  retrainSensors: z.array(z.string().min(1).max(128)).max(1000).default([]),
  /**
   * Contamination of the retrained models (default 0.01: the threshold at the 99th percentile of
   * the window's scores, so a last window like the rest flags about 1% and the guard's 5% margin
   * means something; 'auto', the 0.5 score, flagged 27% of the lab's 198-flow baseline).
   */
  retrainContamination: z.union([z.literal('auto'), z.number().gt(0).max(0.5)]).default(0.01),
  /** Alerts below this severity are not even offered to the channel (libs/notifications applies its own minimum too). */
  notifyMinSeverity: Severity.default('low'),
  logLevel: z.enum(['nothing', 'error', 'warn', 'info', 'debug']).default('error'),
});
export type DetectorConfig = z.infer<typeof DetectorConfig>;

function num(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : (v as unknown as number);
}

export type ConfigResult = { ok: true; config: DetectorConfig } | { ok: false; message: string };

export function readDetectorConfig(env: NodeJS.ProcessEnv = process.env): ConfigResult {
  let rulesYaml: string | undefined;
  if (env.DETECTOR_RULES_FILE) {
    try {
      rulesYaml = readFileSync(env.DETECTOR_RULES_FILE, 'utf8');
    } catch (e) {
      return { ok: false, message: `detector: cannot read DETECTOR_RULES_FILE: ${(e as Error).message}` };
    }
  }
  const r = DetectorConfig.safeParse({
    brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((s) => s.trim()).filter(Boolean),
    groupId: env.DETECTOR_GROUP_ID,
    instanceId: env.DETECTOR_INSTANCE_ID ?? `detector-${process.pid}`,
    topicSuffix: env.NETSENTRY_TOPIC_SUFFIX,
    alertsPartitions: num(env.ALERTS_PARTITIONS),
    anomaliesPartitions: num(env.ANOMALIES_PARTITIONS),
    flowsPartitions: num(env.FLOWS_PARTITIONS),
    statsPartitions: num(env.STATS_PARTITIONS),
    concurrency: num(env.DETECTOR_CONCURRENCY),
    fetchMaxBytes: num(env.DETECTOR_FETCH_MAX_BYTES),
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/netsentry',
    sensorGroup: env.DETECTOR_SENSOR_GROUP,
    modelPollMs: num(env.DETECTOR_MODEL_POLL_MS),
    rulesYaml,
    replayHorizonS: num(env.DETECTOR_REPLAY_HORIZON_S),
    maxFutureS: num(env.DETECTOR_MAX_FUTURE_S),
    silentSourceGraceMs: num(env.DETECTOR_SILENT_SOURCE_GRACE_MS),
    retentionFlowsDays: num(env.RETENTION_FLOWS_DAYS),
    retentionStatsDays: num(env.RETENTION_STATS_DAYS),
    retentionAlertsDays: num(env.RETENTION_ALERTS_DAYS),
    retentionAnomaliesDays: num(env.RETENTION_ANOMALIES_DAYS),
    retentionEveryMs: num(env.RETENTION_EVERY_MS),
    retrainEveryMs: num(env.DETECTOR_RETRAIN_EVERY_MS),
    retrainWindowS: num(env.DETECTOR_RETRAIN_WINDOW_S),
    retrainGuardWindowS: num(env.DETECTOR_RETRAIN_GUARD_WINDOW_S),
    retrainMaxFlagged: num(env.DETECTOR_RETRAIN_MAX_FLAGGED),
    retrainMinFlows: num(env.DETECTOR_RETRAIN_MIN_FLOWS),
    retrainMaxRows: num(env.DETECTOR_RETRAIN_MAX_ROWS),
    retrainSensors: env.DETECTOR_RETRAIN_SENSORS?.split(',').map((s) => s.trim()).filter(Boolean),
    retrainContamination: env.DETECTOR_RETRAIN_CONTAMINATION === undefined || env.DETECTOR_RETRAIN_CONTAMINATION === 'auto' ? env.DETECTOR_RETRAIN_CONTAMINATION : num(env.DETECTOR_RETRAIN_CONTAMINATION),
    notifyMinSeverity: env.NOTIFY_MIN_SEVERITY,
    logLevel: env.KAFKA_LOG_LEVEL,
  });
  if (r.success) return { ok: true, config: r.data };
  return { ok: false, message: 'detector: invalid configuration: ' + r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}
