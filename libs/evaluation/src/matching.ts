/**
 * Matching detections to the truth. Pure functions over contract records and a truth file.
 *
 * An alert DETECTS an attack when all of these hold:
 *  1. same type (AlertV1.type === truth attack type);
 *  2. time: the alert's [start, end] overlaps the attack's [start - slack, end + slack]
 *     (so an alert that starts before the attack, e.g. at the start of the rule's interval, still
 *     counts, and one alert may cover two attacks and detect both);
 *  3. endpoints, by what the rule keys on:
 *     - per-source types (port_scan, host_sweep, large_transfer): an alert source is an attack
 *       source, and, if the alert names targets, one of them is an attack target;
 *     - per-destination types (syn_flood, udp_flood, icmp_flood, traffic_spike): an alert target is
 *       an attack target, and, if the alert names sources, one of them is an attack source;
 *     - ddos: an alert target is an attack target, and the sources overlap sufficiently: the alert
 *       names at least `ddosMinSourceShare` (default half) of the attack's sources — or, when the
 *       alert truncated its list (`sourceCount` > listed), it names at least one and claims at least
 *       that many in `sourceCount` — and at least that share of the sources it names are real.
 * An alert that matches no attack of its own type is a FALSE alert, except that an alert which
 * matches an attack's endpoints and time under another type (e.g. `syn_flood` during a SYN DDoS)
 * is reported as MISTYPED: neither a detection nor a false alert.
 * An alert closed as part of another (AlertV1.supersededBy, e.g. a `udp_flood` raised before
 * the ddos alert on its target took it in) is none of these: evaluate() scores it with the alert
 * it is part of, as one alert.
 * INCLUDES: an alert that took another type in (AlertV1.includes: a ddos alert including the
 * syn_flood on its target) also detects an attack of that type, by that type's rules 2-3: a
 * truth file that labels the flood apart from the DDoS sees it detected, not missed.
 * The detection delay is the earliest matching alert's start minus the attack's start, in packet
 * time, clamped at 0 (the raw value is kept too).
 */
import type { AlertType, AlertV1, AnomalyV1, FlowV1 } from '@netsentry/contracts';
import type { TruthAttackV1 } from './truth';

export interface MatchOptions {
  /** Seconds added on both sides of an attack's window for the overlap test (default 1). */
  slackSeconds?: number;
  /** Share of a DDoS's sources an alert must name (default 0.5). */
  ddosMinSourceShare?: number;
}

export const DEFAULT_MATCH: Required<MatchOptions> = { slackSeconds: 1, ddosMinSourceShare: 0.5 };

const PER_SOURCE: ReadonlySet<AlertType> = new Set<AlertType>(['port_scan', 'host_sweep', 'large_transfer']);

/** `::ffff:10.0.0.1` and `10.0.0.1` are the same host; IPv6 text is compared lower-case. */
export function normalizeIp(ip: string): string {
  const l = ip.toLowerCase();
  return l.startsWith('::ffff:') && l.includes('.') ? l.slice(7) : l;
}

const overlaps = (aStart: number, aEnd: number, bStart: number, bEnd: number) => aStart <= bEnd && bStart <= aEnd;

function intersects(xs: readonly string[], ys: ReadonlySet<string>): number {
  let n = 0;
  for (const x of new Set(xs.map(normalizeIp))) if (ys.has(x)) n++;
  return n;
}

const ipSet = (xs: readonly string[]) => new Set(xs.map(normalizeIp));

/** Whether the alert's addresses fit the attack (rule 3), ignoring type and time. */
export function endpointsMatch(alert: Pick<AlertV1, 'type' | 'sources' | 'targets' | 'sourceCount'>, attack: TruthAttackV1, o: MatchOptions = {}): boolean {
  const share = o.ddosMinSourceShare ?? DEFAULT_MATCH.ddosMinSourceShare;
  const src = ipSet(attack.sources);
  const dst = ipSet(attack.targets);
  const srcHit = intersects(alert.sources, src);
  const dstHit = intersects(alert.targets, dst);
  if (attack.type === 'ddos' && alert.type === 'ddos') {
    if (dstHit === 0) return false;
    const named = ipSet(alert.sources).size;
    if (named === 0 || srcHit / named < share) return false;
    const need = Math.ceil(share * attack.sources.length);
    if (srcHit >= need) return true;
    const truncated = alert.sourceCount !== undefined && alert.sourceCount > named;
    return truncated && srcHit >= 1 && (alert.sourceCount ?? 0) >= need;
  }
  if (PER_SOURCE.has(attack.type)) return srcHit > 0 && (alert.targets.length === 0 || dstHit > 0);
  return dstHit > 0 && (alert.sources.length === 0 || srcHit > 0);
}

/** Rules 1-3: the alert detects the attack (by its own type, or by one it took in: see INCLUDES above). */
export function alertMatches(alert: AlertV1, attack: TruthAttackV1, o: MatchOptions = {}): boolean {
  const slack = o.slackSeconds ?? DEFAULT_MATCH.slackSeconds;
  if (!overlaps(alert.start, alert.end, attack.start - slack, attack.end + slack)) return false;
  if (alert.type === attack.type) return endpointsMatch(alert, attack, o);
  return alert.includes?.includes(attack.type) === true && endpointsMatch({ ...alert, type: attack.type }, attack, o);
}

/** Same endpoints and time as the attack, but another type (see MISTYPED above). */
export function alertMistyped(alert: AlertV1, attack: TruthAttackV1, o: MatchOptions = {}): boolean {
  const slack = o.slackSeconds ?? DEFAULT_MATCH.slackSeconds;
  if (alert.type === attack.type || !overlaps(alert.start, alert.end, attack.start - slack, attack.end + slack)) return false;
  const src = ipSet(attack.sources);
  const dst = ipSet(attack.targets);
  const srcHit = intersects(alert.sources, src) > 0;
  const dstHit = intersects(alert.targets, dst) > 0;
  return (srcHit || alert.sources.length === 0) && (dstHit || alert.targets.length === 0) && (srcHit || dstHit);
}

/**
 * The attack a flow belongs to, or null: one endpoint among the attack's sources and the other
 * among its targets, and the flow's time overlapping the attack's window (with the slack).
 */
export function flowAttack(flow: Pick<FlowV1, 'srcIp' | 'dstIp' | 'start' | 'end'>, attacks: readonly TruthAttackV1[], o: MatchOptions = {}): TruthAttackV1 | null {
  const slack = o.slackSeconds ?? DEFAULT_MATCH.slackSeconds;
  const s = normalizeIp(flow.srcIp);
  const d = normalizeIp(flow.dstIp);
  for (const a of attacks) {
    if (!overlaps(flow.start, flow.end, a.start - slack, a.end + slack)) continue;
    const fwd = a.sources.includes(s) && a.targets.includes(d);
    if (fwd || (a.sources.includes(d) && a.targets.includes(s))) return a;
  }
  return null;
}

/** The attack an anomaly (a scored flow) belongs to, by the same rule as flows. */
export function anomalyAttack(an: Pick<AnomalyV1, 'srcIp' | 'dstIp' | 'start' | 'end'>, attacks: readonly TruthAttackV1[], o: MatchOptions = {}): TruthAttackV1 | null {
  return flowAttack(an, attacks, o);
}
