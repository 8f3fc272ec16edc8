import { createHash } from 'node:crypto';
import { severityRank, type AlertType, type AlertV1, type EvidenceV1 } from '@netsentry/contracts';
import type { Finding } from './finding';

export interface AlertAggregatorOptions {
  /** An alert closes after this many seconds of packet time without a finding (default 60). */
  quietS: number;
  /** At most one `update` per alert per this many seconds of packet time (default 5); the last change is always sent. */
  updateEveryS: number;
  /** Addresses listed per alert (default 100); the counts say how many there were. */
  maxListed: number;
  /**
   * Alert types that take in others of the same sensor and identity as part of one incident
   * (the engine fills it from the rules' `absorbs`: ddos takes in the floods of its target).
   * While such an alert is open, findings of the types it absorbs update it instead of opening
   * their own; an alert of those types already open when it opens is closed with `supersededBy`.
   */
  absorbs: Partial<Record<AlertType, readonly AlertType[]>>;
}

export const DEFAULT_AGGREGATOR_OPTIONS: AlertAggregatorOptions = { quietS: 60, updateEveryS: 5, maxListed: 100, absorbs: {} };

export type AlertChange = 'new' | 'update';

/** The peak of one absorbed type within an absorbing alert. */
interface Part {
  value: number;
  evidence: EvidenceV1;
  summary: string;
}

interface Active {
  alert: AlertV1;
  /** Headline value of the peak finding. */
  peak: number;
  /** Evidence and summary of the alert's own peak finding (the alert adds its parts' after them). */
  own: { evidence: EvidenceV1[]; summary: string };
  /** Peak of each absorbed type folded into this alert, by type. */
  parts: Map<AlertType, Part>;
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
 *
 * One incident, one alert: an alert whose type absorbs others (`absorbs`) takes in their
 * findings on the same identity while it is open (they extend it; their peak headline figure
 * and summary follow its own), and closes an alert of those types that opened before it, whose
 * last version names it in `supersededBy`. Both depend only on the order of findings, which the
 * engine makes the same on every run.
 */
export class AlertAggregator {
  private readonly active = new Map<string, Active>();
  private readonly opts: AlertAggregatorOptions;
  /** Absorbed type → the types that absorb it. */
  private readonly absorbedBy = new Map<AlertType, AlertType[]>();

  constructor(opts: Partial<AlertAggregatorOptions>, private readonly onAlert: (alert: AlertV1, change: AlertChange) => void) {
    this.opts = { ...DEFAULT_AGGREGATOR_OPTIONS, ...opts };
    for (const [host, types] of Object.entries(this.opts.absorbs) as [AlertType, AlertType[]][]) {
      for (const t of types) this.absorbedBy.set(t, [...(this.absorbedBy.get(t) ?? []), host]);
    }
  }

  /** Alerts currently open. */
  get openCount(): number {
    return this.active.size;
  }

  report(f: Finding): void {
    for (const t of this.absorbedBy.get(f.type) ?? []) {
      const host = this.active.get(keyOf(f.sensor, t, f.key));
      if (host === undefined) continue;
      this.fold(host, f);
      if (host.dirty && f.end - host.lastEmit >= this.opts.updateEveryS) this.emit(host, f.end);
      return;
    }
    const k = keyOf(f.sensor, f.type, f.key);
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
      const opened: Active = { alert, peak: value, own: { evidence: alert.evidence, summary: f.summary }, parts: new Map(), lastFinding: f.end, lastEmit: f.end, dirty: false, sources, targets };
      this.active.set(k, opened);
      // Alerts of absorbed types already open on this identity become part of this one.
      const superseded: [string, Active][] = [];
      for (const t of this.opts.absorbs[f.type] ?? []) {
        const pk = keyOf(f.sensor, t, f.key);
        const part = this.active.get(pk);
        if (part === undefined) continue;
        this.fold(opened, asFinding(part, f.key));
        superseded.push([pk, part]);
      }
      opened.dirty = false;
      this.onAlert(clone(alert), 'new');
      for (const [pk, part] of superseded) {
        part.alert.supersededBy = alert.id;
        this.emit(part, f.end);
        this.active.delete(pk);
      }
      return;
    }
    const al = a.alert;
    a.lastFinding = f.end;
    if (f.end > al.end) { al.end = f.end; a.dirty = true; }
    if (severityRank(f.severity) > severityRank(al.severity)) { al.severity = f.severity; a.dirty = true; }
    if (value > a.peak) {
      a.peak = value;
      a.own = { evidence: f.evidence.map((e) => ({ ...e })), summary: f.summary };
      this.compose(a);
      a.dirty = true;
    }
    this.addAddresses(a, f);
    if (a.dirty && f.end - a.lastEmit >= this.opts.updateEveryS) this.emit(a, f.end);
  }

  /**
   * Takes a finding of an absorbed type into `host`: it extends the alert (end, quiet period,
   * addresses, severity) and, when it is that type's peak so far, its headline figure and
   * summary follow the host's own. Marks the host dirty when anything shown changed.
   */
  private fold(host: Active, f: Finding): void {
    const al = host.alert;
    if (f.end > host.lastFinding) host.lastFinding = f.end;
    if (f.end > al.end) { al.end = f.end; host.dirty = true; }
    if (severityRank(f.severity) > severityRank(al.severity)) { al.severity = f.severity; host.dirty = true; }
    const head = f.evidence[0];
    const had = host.parts.get(f.type);
    if (head !== undefined && (had === undefined || head.value > had.value)) {
      host.parts.set(f.type, { value: head.value, evidence: { ...head }, summary: f.summary });
      this.compose(host);
      host.dirty = true;
    }
    this.addAddresses(host, f);
  }

  /** Evidence, summary and `includes` of an alert: its own peak's, then each absorbed type's peak (in `absorbs` order). */
  private compose(a: Active): void {
    const al = a.alert;
    al.evidence = a.own.evidence.map((e) => ({ ...e }));
    let summary = a.own.summary;
    const includes: AlertType[] = [];
    for (const t of this.opts.absorbs[al.type] ?? []) {
      const p = a.parts.get(t);
      if (p === undefined) continue;
      al.evidence.push({ ...p.evidence });
      summary += ` Includes ${t}: ${p.summary}`;
      includes.push(t);
    }
    al.summary = summary.length > 1000 ? `${summary.slice(0, 999)}…` : summary;
    if (includes.length > 0) al.includes = includes;
  }

  private addAddresses(a: Active, f: Finding): void {
    const al = a.alert;
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

function keyOf(sensor: string, type: AlertType, key: Finding['key']): string {
  return JSON.stringify([sensor, type, key.sources, key.targets]);
}

/** An open alert as one finding (its peak figures and everything it saw), to fold into another. */
function asFinding(a: Active, key: Finding['key']): Finding {
  const al = a.alert;
  return {
    type: al.type,
    rule: al.rule ?? al.type,
    sensor: al.sensor,
    severity: al.severity,
    key,
    sources: [...a.sources],
    targets: [...a.targets],
    sourceCount: al.sourceCount,
    targetCount: al.targetCount,
    start: al.start,
    end: al.end,
    summary: a.own.summary,
    evidence: a.own.evidence,
  };
}

function clone(a: AlertV1): AlertV1 {
  const c: AlertV1 = { ...a, sources: [...a.sources], targets: [...a.targets], evidence: a.evidence.map((e) => ({ ...e })) };
  if (a.includes !== undefined) c.includes = [...a.includes];
  return c;
}
