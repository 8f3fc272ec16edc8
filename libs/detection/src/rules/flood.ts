import type { DestinationStatsEntityV1 } from '@netsentry/contracts';
import type { CidrSet } from './cidr';
import { Baseline, WindowDistinct, WindowSum } from './window';

/**
 * A source is a flood source of a destination when its attack-like packets to it within the
 * window are at least this share of an even split of them (all such packets / their senders).
 * 0.5: the one hping3 host among web clients that sent a SYN or two each, every bot of a
 * botnet sending at similar rates, every address of a spoofed flood; not the web clients.
 */
export const FLOOD_SOURCE_SHARE = 0.5;

/** The flood sources of a destination over a window (see FloodSources). */
export interface FloodSourceSet {
  /** Flood sources, most packets first (ties: first seen first); at most `limit`. */
  sources: string[];
  /** How many there are: exact while every interval's sender list was complete, else estimated. */
  count: number;
}

type Attackers = NonNullable<DestinationStatsEntityV1['attackers']>;

/**
 * Who floods one destination: what each source sent of the destination's attack-like packets
 * (`attackers` of its statistics: TCP SYNs without ACK, UDP not on a flow the destination
 * opened, ICMP other than answers, later fragments; one figure for all three kinds) over the
 * window, and which of them are flood sources (FLOOD_SOURCE_SHARE). Statistics without
 * `attackers` (an older aggregator) count every sender once, so every sender is a source.
 *
 * Keeps each interval's lists (the statistics' own arrays, no copy) and sums them when a rule
 * asks, so a destination that never floods costs one array entry per interval.
 */
export class FloodSources {
  private readonly ts: number[] = [];
  private readonly lists: (Attackers | DestinationStatsEntityV1['sources'])[] = [];
  /** Attack-like packets of the window (estimated from the sample when a list overflowed). */
  readonly packets: WindowSum;

  constructor(readonly windowS: number) {
    this.packets = new WindowSum(windowS);
  }

  add(t: number, d: DestinationStatsEntityV1): void {
    const a = d.attackers;
    const list = a ?? d.sources;
    if (list.items.length === 0) return;
    this.expire(t - this.windowS); // at most a window of lists, even when never asked
    this.ts.push(t);
    this.lists.push(list);
    if (a !== undefined) {
      let n = 0;
      for (const x of a.items) n += x.packets;
      this.packets.add(t, a.exact ? n : Math.round((n * a.n) / a.items.length));
    }
  }

  private expire(cutoff: number): void {
    let i = 0;
    while (i < this.ts.length && this.ts[i] < cutoff) i++;
    if (i > 0) {
      this.ts.splice(0, i);
      this.lists.splice(0, i);
    }
  }

  /** The flood sources over the window ending at `now`, without allow-listed ones. */
  select(now: number, allow: CidrSet, limit = 1000): FloodSourceSet {
    this.expire(now - this.windowS);
    const per = new Map<string, number>();
    let total = 0;
    let estimate = 0;
    for (const list of this.lists) {
      for (const x of list.items) {
        const ip = typeof x === 'string' ? x : x.ip;
        if (allow.has(ip)) continue;
        const n = typeof x === 'string' ? 1 : x.packets;
        per.set(ip, (per.get(ip) ?? 0) + n);
        total += n;
      }
      if (!list.exact && list.n > estimate) estimate = list.n;
    }
    if (per.size === 0) return { sources: [], count: 0 };
    const floor = (FLOOD_SOURCE_SHARE * total) / per.size;
    const chosen: [string, number][] = [];
    for (const e of per) if (e[1] >= floor) chosen.push(e);
    chosen.sort((a, b) => b[1] - a[1]);
    const sources = new Array<string>(Math.min(limit, chosen.length));
    for (let i = 0; i < sources.length; i++) sources[i] = chosen[i][0];
    // Past the sample size the senders are a sample: scale their flood share to the estimate.
    const count = Math.max(chosen.length, Math.round((estimate * chosen.length) / per.size));
    return { sources, count };
  }
}

/**
 * Per-destination packet-rate window with a moving baseline, shared by the flood rules (each
 * rule keeps its own). The baseline learns only from intervals in which the rule is not
 * firing, and at most half the firing level per interval, so neither a long flood nor a
 * burst flagged by another rule becomes normal.
 */
export class DestinationRate {
  readonly packets: WindowSum;
  readonly flood: FloodSources;
  readonly ports: WindowDistinct<number>;
  readonly baseline: Baseline;
  /** Baseline before the newest interval was folded in (what the rule compares to). */
  before = 0;
  firing = false;
  /** Start of the first interval this destination was seen in. */
  private since = NaN;

  constructor(readonly ip: string, readonly windowS: number, alpha: number) {
    this.packets = new WindowSum(windowS);
    this.flood = new FloodSources(windowS);
    this.ports = new WindowDistinct<number>(windowS);
    this.baseline = new Baseline(alpha);
  }

  /**
   * Adds one interval: `count` packets of the rule's kind, the senders and the ports set.
   * `clipAt(baseline)`: the most one interval may teach the baseline (see Baseline.update);
   * the rules pass half of what would fire: max(minPps, baselineFactor * baseline) / 2.
   */
  observe(start: number, intervalS: number, count: number, d: DestinationStatsEntityV1, ports: DestinationStatsEntityV1['synPorts'] | null, clipAt: (baseline: number) => number): void {
    this.packets.add(start, count);
    this.flood.add(start, d);
    if (ports !== null) {
      for (const p of ports.items) this.ports.add(start, p);
      if (!ports.exact) this.ports.addEstimate(start, ports.n);
    }
    this.before = this.baseline.value;
    // The baseline starts learning once a whole window has been seen: until then the window
    // rate is diluted by time before the destination appeared, and a flood that starts with
    // the destination's first packet would otherwise become its own baseline.
    if (Number.isNaN(this.since)) this.since = start;
    if (!this.firing && start + intervalS - this.since >= this.windowS) this.baseline.update(start, intervalS, count / intervalS, clipAt(this.baseline.value));
  }

  /** Packets per second over the window. */
  pps(now: number): number {
    return this.packets.sum(now) / this.windowS;
  }
}
