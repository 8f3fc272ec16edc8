/*
 * Test and tool harness (not part of the public API): runs a capture file through the real
 * reader, flow table, statistics builder(s) and rule engine, the way the aggregator and the
 * detector do, with an in-memory hand-off instead of Kafka.
 */
import type { AlertV1, StatsV1 } from '@netsentry/contracts';
import { FlowTable, StatsBuilder } from '@netsentry/flows';
import { flowHash, readCaptureFile } from '@netsentry/packets';
import { parseRulesConfig, type RulesConfigInput } from './config';
import { RuleEngine } from './rule.engine';

export interface CaptureRun {
  /** Final state of every alert raised, by id, in the order first raised. */
  alerts: AlertV1[];
  /** Every alert event in order (new, then updates). */
  events: { change: 'new' | 'update'; alert: AlertV1 }[];
  /** Number of statistics partials produced. */
  partials: number;
  /** Partials produced per aggregator instance. */
  partialsByInstance: Record<string, number>;
  packets: number;
  /** First packet time of the input, epoch seconds. */
  firstTs: number;
}

export interface CaptureRunOptions {
  config?: RulesConfigInput;
  /** Aggregator instances; packets are split by flowHash like the packet topic's partitions (default 1). */
  parts?: number;
  sensor?: string;
  intervalS?: number;
  /** Shuffle the partials of each emitted batch (arrival order must not matter). */
  shuffleSeed?: number;
  /** Called with every partial (e.g. to validate it). */
  onStats?: (s: StatsV1) => void;
}

export async function runCapture(files: string | string[], opts: CaptureRunOptions = {}): Promise<CaptureRun> {
  const cfg = parseRulesConfig(opts.config ?? {});
  if (!cfg.ok) throw new Error(cfg.reason);
  const sensor = opts.sensor ?? 'test';
  const parts = opts.parts ?? 1;
  const events: CaptureRun['events'] = [];
  const byId = new Map<string, AlertV1>();
  const engine = new RuleEngine(cfg.value, (alert, change) => {
    events.push({ change, alert });
    byId.set(alert.id, alert);
  });
  let partials = 0;
  let batch: StatsV1[] = [];
  let rnd = opts.shuffleSeed ?? 0;
  const drain = (): void => {
    if (batch.length === 0) return;
    if (opts.shuffleSeed !== undefined) {
      for (let i = batch.length - 1; i > 0; i--) {
        rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0;
        const j = rnd % (i + 1);
        [batch[i], batch[j]] = [batch[j], batch[i]];
      }
    }
    const b = batch;
    batch = [];
    for (const s of b) engine.onStats(s);
  };
  const partialsByInstance: Record<string, number> = {};
  const onStats = (s: StatsV1): void => {
    partials++;
    partialsByInstance[s.instance] = (partialsByInstance[s.instance] ?? 0) + 1;
    opts.onStats?.(s);
    batch.push(s);
  };
  const builders = Array.from({ length: parts }, (_, i) => new StatsBuilder({ sensor, instance: `agg-${i}`, intervalS: opts.intervalS }, onStats));
  const tables = Array.from({ length: parts }, () => new FlowTable({ sensor }, () => undefined));
  let packets = 0;
  let firstTs = Infinity;
  for (const file of Array.isArray(files) ? files : [files]) {
    await readCaptureFile(file, (rec) => {
      packets++;
      if (rec.tsUs / 1e6 < firstTs) firstTs = rec.tsUs / 1e6;
      const i = parts === 1 ? 0 : flowHash(rec) % parts;
      // Every instance follows the sensor's clock (its watermark), as the aggregator does.
      for (let j = 0; j < parts; j++) if (j !== i) builders[j].advance(rec.tsUs);
      const isNew = tables[i].add(rec);
      builders[i].add(rec, isNew);
      drain();
    });
  }
  for (const b of builders) b.flush();
  drain();
  engine.flush();
  return { alerts: [...byId.values()], events, partials, partialsByInstance, packets, firstTs };
}

/** Alerts as sorted `type src -> dst` lines (flood alerts list the target only). */
export function alertLines(alerts: AlertV1[]): string[] {
  return alerts
    .map((a) => (a.type === 'syn_flood' || a.type === 'udp_flood' || a.type === 'icmp_flood' || a.type === 'ddos' ? `${a.type} -> ${a.targets.join(',')}` : `${a.type} ${a.sources.join(',')} -> ${a.targets.length > 3 ? `${a.targetCount ?? a.targets.length} hosts` : a.targets.join(',')}`))
    .sort();
}

/** Short text of an alert for assertions and logs. */
export function describeAlert(a: AlertV1): string {
  return `${a.type} ${a.sources.slice(0, 3).join(',')}${a.sources.length > 3 ? ',…' : ''} -> ${a.targets.slice(0, 3).join(',')}${a.targets.length > 3 ? ',…' : ''}`;
}
