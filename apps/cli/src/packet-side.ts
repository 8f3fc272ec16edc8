import type { AlertV1, FlowV1, StatsV1 } from '@netsentry/contracts';
import type { PacketRecord } from '@netsentry/packets';
import { StatsBuilder } from '@netsentry/flows';
import { RuleEngine, type RulesConfig } from '@netsentry/detection';
import { TrafficCounters, type TrafficData } from './traffic';

/**
 * What the pipeline does with each packet after the flow table: per-interval statistics
 * (StatsBuilder.add with the table's "new flow" bit), the rules over them, and the traffic
 * counters of the summary and report. Pipeline runs it on the main thread; for large files
 * the analyze worker runs it (PacketStream below) on the packets the main thread sends.
 */
export interface PacketSideOptions {
  sensor: string;
  rules: RulesConfig;
  statsIntervalS?: number;
  onAlert?: (alert: AlertV1, change: 'new' | 'update') => void;
  onStats?: (stats: StatsV1) => void;
  /** Count the traffic (default true; the analyze worker leaves it to the main thread). */
  traffic?: boolean;
}

export interface PacketSideResult {
  /** Every alert (last state of each), in the order first raised. */
  alerts: AlertV1[];
  traffic: TrafficData;
}

export class PacketSide {
  readonly traffic = new TrafficCounters();
  readonly stats: StatsBuilder;
  readonly rules: RuleEngine;
  readonly alerts = new Map<string, AlertV1>();
  private readonly countTraffic: boolean;

  constructor(opts: PacketSideOptions) {
    this.countTraffic = opts.traffic ?? true;
    this.rules = new RuleEngine(opts.rules, (alert, change) => {
      this.alerts.set(alert.id, alert);
      opts.onAlert?.(alert, change);
    });
    this.stats = new StatsBuilder({ sensor: opts.sensor, intervalS: opts.statsIntervalS }, (s) => {
      opts.onStats?.(s);
      this.rules.onStats(s);
    });
  }

  /** One decoded packet; `newFlow`: the flow table opened a flow with it. */
  add(rec: PacketRecord, newFlow: boolean): void {
    this.stats.add(rec, newFlow);
    if (this.countTraffic) this.traffic.add(rec);
  }

  /** The one-second packet-time watermark. */
  advance(tsUs: number): void {
    this.stats.advance(tsUs);
    this.rules.advance(tsUs / 1e6);
  }

  onFlow(flow: FlowV1): void {
    this.rules.onFlow(flow);
  }

  /** End of input: close the statistics and every rule window. */
  finish(lastTsUs: number): void {
    this.stats.flush();
    this.rules.advance(lastTsUs / 1e6);
    this.rules.flush();
  }

  result(): PacketSideResult {
    return { alerts: [...this.alerts.values()], traffic: this.traffic.toData() };
  }
}

/**
 * A PacketSide fed with the packets of files in order: it makes the same one-second watermarks
 * from packet time as Pipeline.push/watermark do (file input has no other watermark), so the
 * statistics and rules see exactly what they see in the single-threaded pipeline.
 */
export class PacketStream {
  private nextAdvanceUs = -1;
  private lastTsUs = 0;

  constructor(readonly side: PacketSide) {}

  packet(rec: PacketRecord, newFlow: boolean): void {
    const ts = rec.tsUs;
    if (ts >= this.nextAdvanceUs) {
      if (this.nextAdvanceUs >= 0) this.side.advance(ts);
      this.nextAdvanceUs = ts - (ts % 1_000_000) + 1_000_000;
    }
    if (ts > this.lastTsUs) this.lastTsUs = ts;
    this.side.add(rec, newFlow);
  }

  finish(): void {
    this.side.finish(this.lastTsUs);
  }
}
