import { z } from 'zod';
import { MAX_PACKET_PARTITIONS } from '@netsentry/messaging';

/** Aggregator configuration, read once from the environment and validated; fails fast with the setting's name. */
export const AggregatorConfig = z.object({
  brokers: z.array(z.string().regex(/^[^:,\s]+:\d{1,5}$/, 'host:port')).min(1),
  /** Consumer group shared by all aggregator instances. */
  groupId: z.string().min(1).max(200).default('netsentry-aggregator'),
  /** Instance name for logs and dead letters. */
  instanceId: z.string().min(1).max(200),
  topicSuffix: z.string().regex(/^[A-Za-z0-9._-]*$/).default(''),
  /** Partitions of the topics this service owns (created when missing). */
  flowsPartitions: z.number().int().min(1).max(1024).default(4),
  statsPartitions: z.number().int().min(1).max(1024).default(4),
  /** Partition count for the packets topic if the aggregator starts before any sensor created it. */
  packetsPartitions: z.number().int().min(1).max(MAX_PACKET_PARTITIONS).default(4),
  idleTimeoutS: z.number().positive().max(86400).default(120),
  activeTimeoutS: z.number().positive().max(86400 * 7).default(1800),
  tcpCloseGraceS: z.number().nonnegative().max(600).default(5),
  maxFlows: z.number().int().min(1024).max(1 << 26).default(1 << 20),
  statsIntervalS: z.number().positive().max(3600).default(1),
  /** Watermarks to downstream are sent when the clock moved this far (packet time, s) or at end of input. */
  watermarkEveryS: z.number().positive().max(3600).default(1),
  /**
   * Seconds a packet-batch watermark (`ns-wm`) or a packet time may be ahead of this machine's
   * wall clock (default one day: clock skew, never real traffic). A message past it is
   * dead-lettered (`TIME.FUTURE`), a packet past it dropped and counted in `badTime`: one far-future
   * time would otherwise move the sensor's clock past all real traffic (libs/messaging time.ts).
   */
  maxFutureS: z.number().positive().max(366 * 86400).default(86400),
  logLevel: z.enum(['nothing', 'error', 'warn', 'info', 'debug']).default('error'),
});
export type AggregatorConfig = z.infer<typeof AggregatorConfig>;

function num(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : (v as unknown as number);
}

export type ConfigResult = { ok: true; config: AggregatorConfig } | { ok: false; message: string };

export function readAggregatorConfig(env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const r = AggregatorConfig.safeParse({
    brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((s) => s.trim()).filter(Boolean),
    groupId: env.AGGREGATOR_GROUP_ID,
    instanceId: env.AGGREGATOR_INSTANCE_ID ?? `aggregator-${process.pid}`,
    topicSuffix: env.NETSENTRY_TOPIC_SUFFIX,
    flowsPartitions: num(env.FLOWS_PARTITIONS),
    statsPartitions: num(env.STATS_PARTITIONS),
    packetsPartitions: num(env.PACKETS_PARTITIONS),
    idleTimeoutS: num(env.FLOW_IDLE_TIMEOUT_S),
    activeTimeoutS: num(env.FLOW_ACTIVE_TIMEOUT_S),
    tcpCloseGraceS: num(env.FLOW_TCP_CLOSE_GRACE_S),
    maxFlows: num(env.FLOW_MAX_FLOWS),
    statsIntervalS: num(env.STATS_INTERVAL_S),
    watermarkEveryS: num(env.AGGREGATOR_WATERMARK_EVERY_S),
    maxFutureS: num(env.AGGREGATOR_MAX_FUTURE_S),
    logLevel: env.KAFKA_LOG_LEVEL,
  });
  if (r.success) return { ok: true, config: r.data };
  return { ok: false, message: 'aggregator: invalid configuration: ' + r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}
