import { createHash } from 'node:crypto';
import { severityRank, type AlertV1 } from '@netsentry/contracts';
import type { Finding } from './finding';

export interface AlertAggregatorOptions {
  /** An alert closes after this many seconds of packet time without a finding (default 60). */
  quietS: number;
  /** At most one `update` per alert per this many seconds of packet time (default 5); the last change is always sent. */
  updateEveryS: number;
  /** Addresses listed per alert (default 100); the counts say how many there were. */
  maxListed: number;
}

export const DEFAULT_AGGREGATOR_OPTIONS: AlertAggregatorOptions = { quietS: 60, updateEveryS: 5, maxListed: 100 };

export type AlertChange = 'new' | 'update';

interface Active {
  alert: AlertV1;
  /** Headline value of the peak finding. */
  peak: number;
  lastFinding: number;
  lastEmit: number;
  dirty: boolean;
  sources: Set<string>;
  targets: Set<string>;
}

/** Deterministic alert id: same attack, same id, on every run and after a restart. */
export function alertId(sensor: string, type: string, key: Finding['key'], start: number): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([sensor, type, [...key.sources], [...key.targets], start]));
  return `${type}-${h.digest('hex').slice(0, 32)}`;
}

/**
 * One attack, one alert: findings with the same (sensor, type, key) update one alert (end,
 * counts, peak evidence, highest severity) until the rule stays quiet for `quietS`; a later
 * finding opens a new alert with a new id. Updates are rate-limited in packet time.
 */
export class AlertAggregator {
  private readonly active = new Map<string, Active>();
  private readonly opts: AlertAggregatorOptions;

  constructor(opts: Partial<AlertAggregatorOptions>, private readonly onAlert: (alert: AlertV1, change: AlertChange) => void) {
    this.opts = { ...DEFAULT_AGGREGATOR_OPTIONS, ...opts };
  }

  /** Alerts currently open. */
  get openCount(): number {
    return this.active.size;
  }

  report(f: Finding): void {
    const k = JSON.stringify([f.sensor, f.type, f.key.sources, f.key.targets]);
    const a = this.active.get(k);
    const value = f.evidence[0]?.value ?? 0;
    if (a === undefined) {
      const sources = new Set(f.sources);
      const targets = new Set(f.targets);
      const alert: AlertV1 = {
        id: alertId(f.sensor, f.type, f.key, f.start),
        type: f.type,
        severity: f.severity,
        sources: this.list(sources),
        targets: this.list(targets),
        start: f.start,
        end: f.end,
        summary: f.summary,
        evidence: f.evidence.map((e) => ({ ...e })),
        rule: f.rule,
        sensor: f.sensor,
      };
      this.setCounts(alert, sources, targets, f);
      this.active.set(k, { alert, peak: value, lastFinding: f.end, lastEmit: f.end, dirty: false, sources, targets });
      this.onAlert(clone(alert), 'new');
      return;
    }
    const al = a.alert;
    a.lastFinding = f.end;
    if (f.end > al.end) { al.end = f.end; a.dirty = true; }
    if (severityRank(f.severity) > severityRank(al.severity)) { al.severity = f.severity; a.dirty = true; }
    if (value > a.peak) {
      a.peak = value;
      al.evidence = f.evidence.map((e) => ({ ...e }));
      al.summary = f.summary;
      a.dirty = true;
    }
    const before = a.sources.size + a.targets.size;
    for (const s of f.sources) if (a.sources.size < 100_000) a.sources.add(s);
    for (const t of f.targets) if (a.targets.size < 100_000) a.targets.add(t);
    if (a.sources.size + a.targets.size !== before) {
      al.sources = this.list(a.sources);
      al.targets = this.list(a.targets);
      a.dirty = true;
    }
    const counts = `${al.sourceCount}/${al.targetCount}`;
    this.setCounts(al, a.sources, a.targets, f);
    if (`${al.sourceCount}/${al.targetCount}` !== counts) a.dirty = true;
    if (a.dirty && f.end - a.lastEmit >= this.opts.updateEveryS) this.emit(a, f.end);
  }

  /** Packet time moved to `t`: send pending updates that are due and close quiet alerts. */
  tick(t: number): void {
    for (const [k, a] of this.active) {
      const closing = t - a.lastFinding >= this.opts.quietS;
      if (a.dirty && (closing || t - a.lastEmit >= this.opts.updateEveryS)) this.emit(a, t);
      if (closing) this.active.delete(k);
    }
  }

  /** End of input: send every pending update and close everything. */
  flush(): void {
    for (const a of this.active.values()) if (a.dirty) this.emit(a, a.alert.end);
    this.active.clear();
  }

  private emit(a: Active, t: number): void {
    a.dirty = false;
    a.lastEmit = t;
    this.onAlert(clone(a.alert), 'update');
  }

  private list(set: Set<string>): string[] {
    return [...set].slice(0, this.opts.maxListed);
  }

  private setCounts(al: AlertV1, sources: Set<string>, targets: Set<string>, f: Finding): void {
    const sc = Math.max(sources.size, f.sourceCount ?? 0, al.sourceCount ?? 0);
    const tc = Math.max(targets.size, f.targetCount ?? 0, al.targetCount ?? 0);
    if (sc > al.sources.length && sc !== al.sourceCount) al.sourceCount = sc;
    if (tc > al.targets.length && tc !== al.targetCount) al.targetCount = tc;
  }
}

function clone(a: AlertV1): AlertV1 {
  return { ...a, sources: [...a.sources], targets: [...a.targets], evidence: a.evidence.map((e) => ({ ...e })) };
}
