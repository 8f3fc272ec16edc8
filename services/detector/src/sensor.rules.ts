import type { AlertV1, FlowV1, StatsV1 } from '@netsentry/contracts';
import { RuleEngine, type RulesConfig } from '@netsentry/detection';
import { CommitTracker, MinWatermark } from '@netsentry/messaging';

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
  advancedUs = -1;
  ended = false;
  /** The end of input was announced (log line) once. */
  reported = false;

  constructor(
    readonly sensor: string,
    config: RulesConfig,
    partitions: number[],
    onAlert: (a: AlertV1, change: 'new' | 'update') => void,
  ) {
    this.engine = new RuleEngine(config, onAlert);
    this.clock = new MinWatermark(1);
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
    this.engine.onStats(s);
    return true;
  }

  onFlow(f: FlowV1): void {
    this.engine.onFlow(f);
  }

  /** Moves the rules' clock to the watermark; flushes at the end of input. */
  tick(): void {
    const c = this.clock.clock();
    if (c > this.advancedUs) {
      this.advancedUs = c;
      this.engine.advance(c / 1e6);
    }
    if (this.clock.eos && !this.ended) {
      this.engine.flush();
      this.ended = true;
    }
  }
}
