import { z } from 'zod';
import { AlertType, EpochSeconds, IpAddress, SensorId, Severity, StorableText } from './common';

/** One figure that crossed (or was compared to) a threshold. */
export const EvidenceV1 = z.object({
  /** What was measured, e.g. `distinct_dst_ports`. */
  metric: StorableText.min(1),
  /** The measured value. */
  value: z.number().finite(),
  /** The threshold it was compared to. */
  threshold: z.number().finite(),
  /** The comparison that fired, e.g. `>=`. */
  op: z.enum(['>=', '>', '<=', '<']).default('>='),
  /** Length of the sliding window the value was measured over, in seconds. */
  windowSeconds: z.number().finite().nonnegative(),
  /** Baseline for the metric where the rule uses one (e.g. moving average). */
  baseline: z.number().finite().optional(),
});
export type EvidenceV1 = z.infer<typeof EvidenceV1>;

/** An alert raised by a rule for a known attack; updated while the attack lasts (same id). */
export const AlertV1 = z.object({
  /** Deterministic id: hash of (type, sources, targets, first window start). */
  id: StorableText.min(1).max(128),
  /** Which attack the rule recognised. */
  type: AlertType,
  severity: Severity,
  /** Attacking addresses (may be truncated for DDoS; see `sourceCount`). */
  sources: z.array(IpAddress).max(1000),
  /** Attacked addresses. */
  targets: z.array(IpAddress).max(1000),
  /** Total number of distinct sources, when `sources` is truncated. */
  sourceCount: z.number().int().nonnegative().optional(),
  /** Total number of distinct targets, when `targets` is truncated. */
  targetCount: z.number().int().nonnegative().optional(),
  /** First packet time of the attack as seen by the rule. */
  start: EpochSeconds,
  /** Last packet time of the attack seen so far. */
  end: EpochSeconds,
  /** One sentence a person understands. */
  summary: StorableText.min(1).max(1000),
  /** The figures and thresholds that fired. */
  evidence: z.array(EvidenceV1).min(1),
  /** Rule id and version that raised it, e.g. `port_scan@1`. */
  rule: StorableText.min(1).optional(),
  /** Sensor the traffic was seen on. */
  sensor: SensorId,
  /**
   * Set on the last version of an alert that became part of another (a flood on a target that a
   * ddos alert then covered): the id of that alert, which carries this one's figures from then
   * on. This alert is closed; it is never updated again. Absent on every other alert.
   */
  supersededBy: StorableText.min(1).max(128).optional(),
  /**
   * The other alert types whose findings this alert took in (a ddos alert: the syn/udp/icmp
   * floods on its target), in the rule's order; each one's peak figure is in `evidence` and its
   * summary in `summary`. A consumer that watches for one of those types finds it here. Absent
   * when there are none.
   */
  includes: z.array(AlertType).min(1).max(16).optional(),
});
export type AlertV1 = z.infer<typeof AlertV1>;
