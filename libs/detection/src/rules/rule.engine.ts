import type {
  AlertType,
  AlertV1,
  DestinationStatsEntityV1,
  FlowV1,
  GlobalStatsEntityV1,
  SourceStatsEntityV1,
  StatsV1,
} from '@netsentry/contracts';
import { mergeStats } from '@netsentry/flows';
import { AlertAggregator, type AlertChange, type Finding } from '../alerts';
import { CidrSet } from './cidr';
import type { RulesConfig } from './config';
import { ddosRule } from './ddos.rule';
import { hostSweepRule } from './host-sweep.rule';
import { icmpFloodRule } from './icmp-flood.rule';
import { largeTransferRule } from './large-transfer.rule';
import { portScanRule } from './port-scan.rule';
import type { IntervalStats, RuleDefinition, RuleEnv, RuleInstance } from './rule';
import { synFloodRule } from './syn-flood.rule';
import { trafficSpikeRule } from './traffic-spike.rule';
import { udpFloodRule } from './udp-flood.rule';

/** Every rule, by its config key. */
export const RULES = {
  port_scan: portScanRule,
  host_sweep: hostSweepRule,
  syn_flood: synFloodRule,
  udp_flood: udpFloodRule,
  icmp_flood: icmpFloodRule,
  ddos: ddosRule,
  traffic_spike: trafficSpikeRule,
  large_transfer: largeTransferRule,
} as const;

/**
 * The rules in evaluation order: those that absorb other alert types first (ddos before the
 * floods), so that in the interval where both fire on one target the absorbing alert is open
 * before the absorbed finding comes, and no alert is opened only to be superseded at once.
 */
const ORDERED = (Object.entries(RULES) as [keyof typeof RULES, RuleDefinition<unknown>][]).sort(
  (a, b) => Number(b[1].absorbs !== undefined) - Number(a[1].absorbs !== undefined),
);

/** What the engine has seen; exposed for the service's metrics and for tests. */
export interface RuleEngineCounters {
  /** Partials accepted. */
  partials: number;
  /** Partials for an interval already evaluated (dropped: later than the lateness allowance). */
  late: number;
  /** Partials that replaced an earlier one from the same instance (redelivery). */
  replaced: number;
  /** Intervals evaluated. */
  intervals: number;
  /** Findings reported by rules (before aggregation into alerts). */
  findings: number;
  /** Flow records seen (no rule needs them yet). */
  flows: number;
}

type Parts = StatsV1 | StatsV1[];

interface PendingInterval {
  global: Parts | null;
  sources: Map<string, Parts>;
  destinations: Map<string, Parts>;
}

/** Adds a partial to an entity's parts; true when it replaced one of the same instance. */
function addPart(had: Parts | null | undefined, s: StatsV1, set: (p: Parts) => void): boolean {
  if (had === undefined || had === null) { set(s); return false; }
  if (!Array.isArray(had)) {
    if (had.instance === s.instance) { set(s); return true; }
    set([had, s]);
    return false;
  }
  const i = had.findIndex((p) => p.instance === s.instance);
  if (i >= 0) { had[i] = s; return true; }
  had.push(s);
  return false;
}

interface SensorState {
  /**
   * Pending partials: interval start → entity (kind, then address) → the partial, or the
   * partials of several instances (one per instance). Most entities have one partial: no map
   * or array for them, and no key text beyond the address the message carries.
   */
  pending: Map<number, PendingInterval>;
  /** Intervals up to (excluding) this start are evaluated. */
  doneBefore: number;
  /** End of the newest interval a partial was seen for. */
  newestEnd: number;
  intervalS: number;
  rules: RuleInstance[];
}

/**
 * Runs the rules on merged per-interval statistics. Partials of one (sensor, interval, entity)
 * may come from several aggregator instances in any order; an interval is evaluated once it
 * is older than the newest seen by `latenessS` (or the watermark passed to `advance` is past
 * it), so the result does not depend on how the traffic was split between instances.
 * Everything is in packet time.
 */
export class RuleEngine {
  readonly counters: RuleEngineCounters = { partials: 0, late: 0, replaced: 0, intervals: 0, findings: 0, flows: 0 };
  private readonly sensors = new Map<string, SensorState>();
  private readonly aggregator: AlertAggregator;
  private readonly env: RuleEnv;
  private readonly report = (f: Finding): void => {
    this.counters.findings++;
    this.aggregator.report(f);
  };

  constructor(private readonly config: RulesConfig, onAlert: (alert: AlertV1, change: AlertChange) => void) {
    const absorbs: Partial<Record<AlertType, readonly AlertType[]>> = {};
    for (const [key, def] of ORDERED) if (config.rules[key].enabled && def.absorbs) absorbs[def.type] = def.absorbs;
    this.aggregator = new AlertAggregator({ ...config.alerts, absorbs }, onAlert);
    this.env = { homeNet: new CidrSet(config.homeNet) };
  }

  /** Accepts one partial (validate it with StatsV1 at the edge first). */
  onStats(s: StatsV1): void {
    const st = this.sensor(s.sensor, s.intervalS);
    if (s.start < st.doneBefore) {
      this.counters.late++;
      return;
    }
    this.counters.partials++;
    let pi = st.pending.get(s.start);
    if (pi === undefined) { pi = { global: null, sources: new Map(), destinations: new Map() }; st.pending.set(s.start, pi); }
    const e = s.entity;
    let replaced: boolean;
    if (e.kind === 'global') {
      const p = pi;
      replaced = addPart(p.global, s, (v) => { p.global = v; });
    } else {
      const m = e.kind === 'source' ? pi.sources : pi.destinations;
      replaced = addPart(m.get(e.ip), s, (v) => { m.set(e.ip, v); });
    }
    if (replaced) this.counters.replaced++;
    const end = s.start + s.intervalS;
    if (end > st.newestEnd) {
      st.newestEnd = end;
      this.finalizeUpTo(s.sensor, st, end - this.config.latenessS);
    }
  }

  /** Flow records: no rule needs them (every rule works on statistics); counted only. */
  onFlow(_f: FlowV1): void {
    this.counters.flows++;
  }

  /** Watermark: no partial older than `tsSec` will come; evaluate every interval that ended by then. */
  advance(tsSec: number): void {
    for (const [sensor, st] of this.sensors) this.finalizeUpTo(sensor, st, tsSec);
    this.aggregator.tick(tsSec);
  }

  /** End of input: evaluate everything pending and close every alert. */
  flush(): void {
    for (const [sensor, st] of this.sensors) this.finalizeUpTo(sensor, st, Infinity);
    this.aggregator.flush();
  }

  private sensor(name: string, intervalS: number): SensorState {
    let st = this.sensors.get(name);
    if (st === undefined) {
      const rules: RuleInstance[] = [];
      for (const [key, def] of ORDERED) {
        const cfg = this.config.rules[key];
        if (cfg.enabled) rules.push(def.create(cfg, this.env, name));
      }
      st = { pending: new Map(), doneBefore: -Infinity, newestEnd: -Infinity, intervalS, rules };
      this.sensors.set(name, st);
    }
    return st;
  }

  /** Evaluates, in time order, every pending interval that ends at or before `until`. */
  private finalizeUpTo(sensor: string, st: SensorState, until: number): void {
    const ready = [...st.pending.keys()].filter((start) => start + st.intervalS <= until).sort((a, b) => a - b);
    for (const start of ready) {
      const pi = st.pending.get(start)!;
      st.pending.delete(start);
      st.doneBefore = Math.max(st.doneBefore, start + st.intervalS);
      this.evaluate(sensor, st, start, pi);
    }
    if (until !== Infinity && until > st.doneBefore && st.pending.size === 0) st.doneBefore = Math.max(st.doneBefore, Math.floor(until / st.intervalS) * st.intervalS);
  }

  private evaluate(sensor: string, st: SensorState, start: number, pi: PendingInterval): void {
    this.counters.intervals++;
    const merge = (parts: Parts): StatsV1 => (Array.isArray(parts) ? mergeStats(parts) : parts);
    const iv: IntervalStats = {
      sensor,
      start,
      end: start + st.intervalS,
      intervalS: st.intervalS,
      global: pi.global !== null ? (merge(pi.global).entity as GlobalStatsEntityV1) : null,
      // Entities in key order (`src:<ip>` / `dst:<ip>`, i.e. by address text), so rules see
      // the same sequence whatever the arrival order.
      sources: byAddress(pi.sources, merge) as SourceStatsEntityV1[],
      destinations: byAddress(pi.destinations, merge) as DestinationStatsEntityV1[],
    };
    for (const r of st.rules) r.onInterval(iv, this.report);
    this.aggregator.tick(iv.end);
  }
}

/** The merged entities of one kind, ordered by address text. */
function byAddress(m: Map<string, Parts>, merge: (p: Parts) => StatsV1): StatsV1['entity'][] {
  const ips = [...m.keys()].sort();
  const out = new Array<StatsV1['entity']>(ips.length);
  for (let i = 0; i < ips.length; i++) out[i] = merge(m.get(ips[i])!).entity;
  return out;
}
