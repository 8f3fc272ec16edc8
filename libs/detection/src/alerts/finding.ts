import type { AlertType, EvidenceV1, Severity } from '@netsentry/contracts';

/**
 * What a rule reports each time its threshold holds. The aggregator turns a run of findings
 * with the same identity into one alert.
 */
export interface Finding {
  type: AlertType;
  /** Rule id and version, e.g. `port_scan@1`. */
  rule: string;
  sensor: string;
  severity: Severity;
  /**
   * Identity of the attack: findings with the same (sensor, type, key) belong to one alert.
   * Floods key on the target only (spoofed sources change); scans on the scanner (and victim).
   */
  key: { sources: readonly string[]; targets: readonly string[] };
  /** Addresses to show (may be a sample; see the counts). */
  sources: readonly string[];
  targets: readonly string[];
  /** Distinct sources / targets in the window, when the lists are samples. */
  sourceCount?: number;
  targetCount?: number;
  /** Start of the first interval in the window that fired (packet time). */
  start: number;
  /** End of the interval just evaluated (packet time). */
  end: number;
  summary: string;
  /** The first item is the headline figure; the alert keeps the evidence of its peak. */
  evidence: EvidenceV1[];
}
