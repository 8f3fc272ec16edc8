import type { DestinationStatsEntityV1 } from '@netsentry/contracts';
import { Baseline, WindowDistinct, WindowSum } from './window';

/**
 * Per-destination packet-rate window with a moving baseline, shared by the flood rules (each
 * rule keeps its own). The baseline learns only from intervals in which the rule is not
 * firing, and at most half the firing level per interval, so neither a long flood nor a
 * burst flagged by another rule becomes normal.
 */
export class DestinationRate {
  readonly packets: WindowSum;
  readonly sources: WindowDistinct<string>;
  readonly ports: WindowDistinct<number>;
  readonly baseline: Baseline;
  /** Baseline before the newest interval was folded in (what the rule compares to). */
  before = 0;
  firing = false;
  /** Start of the first interval this destination was seen in. */
  private since = NaN;

  constructor(readonly ip: string, readonly windowS: number, alpha: number) {
    this.packets = new WindowSum(windowS);
    this.sources = new WindowDistinct<string>(windowS);
    this.ports = new WindowDistinct<number>(windowS);
    this.baseline = new Baseline(alpha);
  }

  /** Adds one interval: `count` packets of the rule's kind, and the sources / ports sets. */
  /**
   * `clipAt(baseline)`: the most one interval may teach the baseline (see Baseline.update);
   * the rules pass half of what would fire: max(minPps, baselineFactor * baseline) / 2.
   */
  observe(start: number, intervalS: number, count: number, d: DestinationStatsEntityV1, ports: DestinationStatsEntityV1['synPorts'] | null, clipAt: (baseline: number) => number): void {
    this.packets.add(start, count);
    for (const s of d.sources.items) this.sources.add(start, s);
    if (!d.sources.exact) this.sources.addEstimate(start, d.sources.n);
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
