import type { FlowV1, StatsV1 } from '@netsentry/contracts';
import { FlowTable, StatsBuilder } from '@netsentry/flows';
import { CommitTracker } from '@netsentry/messaging';
import type { PacketRecord } from '@netsentry/packets';
import type { AggregatorConfig } from './config';

/**
 * The flow table and statistics of ONE sensor's packets on ONE packet partition. Packets are
 * partitioned by flow hash, so a partition's flows never share packets with another partition:
 * a table per partition gives the same flows as one table over everything (timeouts are per
 * flow, in packet time), and it keeps a rebalance simple (a partition's state moves by replay
 * from its committed offset). Each sensor has its own clock, advanced by its watermarks.
 */
export class SensorPipeline {
  readonly flows: FlowTable;
  readonly stats: StatsBuilder;
  readonly commits = new CommitTracker();
  /** Highest watermark received from the sensor on this partition, µs. */
  wmUs = 0;
  /** Watermark last announced downstream. */
  sentWmUs = -1;
  ended = false;
  /** Packet partitions the sensor spreads over (from its envelope). */
  parts = 1;

  constructor(
    readonly sensor: string,
    readonly partition: number,
    cfg: AggregatorConfig,
    onFlow: (f: FlowV1) => void,
    onStats: (s: StatsV1) => void,
  ) {
    this.flows = new FlowTable(
      { sensor, idleTimeoutS: cfg.idleTimeoutS, activeTimeoutS: cfg.activeTimeoutS, tcpCloseGraceS: cfg.tcpCloseGraceS, maxFlows: cfg.maxFlows },
      onFlow,
    );
    // The instance name is the packet partition: deterministic, so a partial re-sent after a
    // restart carries the same identity and the detector can drop the duplicate.
    this.stats = new StatsBuilder({ sensor, instance: `p${partition}`, intervalS: cfg.statsIntervalS }, onStats);
  }

  /**
   * Feeds one packet to the flow table and the statistics; false (and neither sees it) when its
   * time is negative or not below `maxTsUs` (MAX_TS_US or this machine's clock plus the tolerance,
   * whichever is less; the caller counts it): one such time would move both clocks past all real
   * traffic.
   */
  add(rec: PacketRecord, maxTsUs: number): boolean {
    const ts = rec.tsUs;
    if (!(ts >= 0 && ts < maxTsUs)) return false;
    const created = this.flows.add(rec);
    this.stats.add(rec, created);
    return true;
  }

  advance(wmUs: number): void {
    if (wmUs > this.wmUs) this.wmUs = wmUs;
    this.flows.advance(this.wmUs);
    this.stats.advance(this.wmUs);
  }

  end(): void {
    this.flows.flush();
    this.stats.flush();
    this.ended = true;
  }
}
