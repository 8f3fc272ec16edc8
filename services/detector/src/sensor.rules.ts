import type { AlertV1, FlowV1, StatsV1 } from '@netsentry/contracts';
import { RuleEngine, type RulesConfig } from '@netsentry/detection';
import { CommitTracker, MinWatermark, type MinWatermarkOptions } from '@netsentry/messaging';

/**
 * Rule state of one sensor on this detector instance: the rule engine, the sensor's event-time
 * clock (minimum of the aggregator watermarks over every partition this instance reads), and
 * the set of statistics partials already applied (a partial re-sent after an aggregator restart
 * carries the same identity and is applied once).
 */
export class SensorRules {
  readonly engine: RuleEngine;
  readonly clock: MinWatermark;
  /** Commit trackers per `topic/partition` for this sensor's messages. */
  readonly commits = new Map<string, CommitTracker>();
  private readonly seen = new Map<string, number>();
  /** Partials waiting for the watermark, by interval start (s). */
  private readonly held = new Map<number, StatsV1[]>();
  advancedUs = -1;
  ended = false;
  /** The end of input was announced (log line) once. */
  reported = false;
  /** The batch that saw the end of input has stored its writes (the flush's alerts included). */
  stored = false;

  constructor(
    readonly sensor: string,
    config: RulesConfig,
    partitions: number[],
    onAlert: (a: AlertV1, change: 'new' | 'update') => void,
    clockOptions: MinWatermarkOptions = {},
  ) {
    this.engine = new RuleEngine(config, onAlert);
    this.clock = new MinWatermark(1, clockOptions);
    this.clock.setPartitions(partitions);
  }

  tracker(key: string): CommitTracker {
    let t = this.commits.get(key);
    if (!t) {
      t = new CommitTracker();
      this.commits.set(key, t);
    }
    return t;
  }

  /** Applies a partial once; false when this exact partial was already applied. */
  onStats(s: StatsV1, key: string): boolean {
    const id = `${s.instance}|${s.start}|${key}`;
    if (this.seen.has(id)) return false;
    this.seen.set(id, s.start);
    if (this.seen.size > 500_000) {
      const cut = this.advancedUs / 1e6 - 3600;
      for (const [k, t] of this.seen) if (t < cut) this.seen.delete(k);
    }
    let list = this.held.get(s.start);
    if (!list) {
      list = [];
      this.held.set(s.start, list);
    }
    list.push(s);
    return true;
  }

  /**
   * Hands the held partials of every interval that ended by `untilS` to the engine, interval by
   * interval in time order, advancing the engine's clock to each interval's end. The engine then
   * sees complete intervals in the order one process would produce them (the CLI does exactly
   * this), whatever order the Kafka partitions delivered them in: its own lateness rule (newest
   * partial seen minus latenessS) can never drop a partial that is merely on a slower partition.
   */
  private release(untilS: number): void {
    const ready = [...this.held.keys()].filter((start) => {
      const l = this.held.get(start)!;
      return start + l[0].intervalS <= untilS;
    });
    ready.sort((a, b) => a - b);
    for (const start of ready) {
      const list = this.held.get(start)!;
      this.held.delete(start);
      for (const p of list) this.engine.onStats(p);
      this.engine.advance(start + list[0].intervalS);
    }
  }

  onFlow(f: FlowV1): void {
    this.engine.onFlow(f);
  }

  /** `n` flows of a flow batch: the engine only counts flows (every rule works on statistics). */
  onFlows(n: number): void {
    this.engine.counters.flows += n;
  }

  /** Moves the rules' clock to the watermark; flushes at the end of input. Returns true when either happened. */
  tick(): boolean {
    const before = this.advancedUs;
    const endedBefore = this.ended;
    const c = this.clock.clock();
    if (c > this.advancedUs) {
      this.advancedUs = c;
      this.release(c / 1e6);
      this.engine.advance(c / 1e6);
    }
    if (this.clock.eos && !this.ended) {
      this.release(Number.POSITIVE_INFINITY);
      if (c > 0) this.engine.advance(c / 1e6);
      this.engine.flush();
      this.ended = true;
    }
    return this.advancedUs !== before || this.ended !== endedBefore;
  }
}
