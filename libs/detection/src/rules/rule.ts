import type {
  AlertType,
  DestinationStatsEntityV1,
  GlobalStatsEntityV1,
  SourceStatsEntityV1,
} from '@netsentry/contracts';
import type { Finding } from '../alerts';
import type { CidrSet } from './cidr';

/** The merged statistics of one finalized interval of one sensor. */
export interface IntervalStats {
  sensor: string;
  /** Interval start and end, epoch seconds of packet time. */
  start: number;
  end: number;
  intervalS: number;
  global: GlobalStatsEntityV1 | null;
  sources: SourceStatsEntityV1[];
  destinations: DestinationStatsEntityV1[];
}

/** Settings shared by all rules. */
export interface RuleEnv {
  homeNet: CidrSet;
}

/** A rule running for one sensor: it keeps its own windows and reports findings. */
export interface RuleInstance {
  onInterval(iv: IntervalStats, report: (f: Finding) => void): void;
}

/** One detection policy (one file each): its alert type, version and how to build it from its config. */
export interface RuleDefinition<C> {
  readonly type: AlertType;
  readonly version: number;
  /**
   * Alert types this rule's alerts take in as part of one incident on the same identity (see
   * AlertAggregator's `absorbs`). A rule that absorbs others runs before them in each interval.
   */
  readonly absorbs?: readonly AlertType[];
  create(cfg: C, env: RuleEnv, sensor: string): RuleInstance;
}

export function ruleId(def: { type: string; version: number }): string {
  return `${def.type}@${def.version}`;
}

/** Plural helper for summaries. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Rounds a figure for evidence (ratios and rates). */
export function round(x: number, digits = 3): number {
  const f = Math.pow(10, digits);
  return Math.round(x * f) / f;
}

export function formatBytes(n: number): string {
  if (n >= 1e9) return `${round(n / 1e9, 2)} GB`;
  if (n >= 1e6) return `${round(n / 1e6, 2)} MB`;
  if (n >= 1e3) return `${round(n / 1e3, 1)} kB`;
  return `${n} B`;
}
