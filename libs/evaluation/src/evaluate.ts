/**
 * Scores alerts, anomalies and flow scores against a truth file. Pure: the caller reads the
 * files; this returns a plain JSON-able report (for machines) that `formatReport` renders as a
 * table (for people). Matching rules: see matching.ts.
 *
 * An alert closed as part of another (AlertV1.supersededBy: a flood alert that a ddos alert on
 * its target took in) is scored as part of that alert, not on its own: the two are one alert for
 * the counts, the alert ids, precision and false/mistyped, and either one matching an attack
 * makes that alert a detection of it (libs/detection RULES.md, *One DDoS, one alert*).
 */
import { ALERT_TYPES, type AlertType, type AlertV1, type AnomalyV1, type FlowV1 } from '@netsentry/contracts';
import { DEFAULT_MATCH, alertMatches, alertMistyped, anomalyAttack, flowAttack, type MatchOptions } from './matching';
import { averagePrecision, bestF1, rocAuc, type BestF1, type Scored } from './metrics';
import type { TruthV1 } from './truth';

export interface EvaluationInput {
  truth: TruthV1;
  alerts: readonly AlertV1[];
  /** Flows the model flagged (optional). */
  anomalies?: readonly AnomalyV1[];
  /** Every flow with its anomaly score (optional): for AUC, AP and best F1. */
  scoredFlows?: ReadonlyArray<{ flow: FlowV1; score: number }>;
  options?: MatchOptions;
}

export interface AttackResult {
  id: string;
  type: AlertType;
  sources: string[];
  targets: string[];
  start: number;
  end: number;
  detected: boolean;
  /** Earliest matching alert start minus attack start, clamped at 0; null when not detected. */
  delaySeconds: number | null;
  /** The same without the clamp (negative when the alert's window opened before the attack). */
  rawDelaySeconds: number | null;
  /** Ids of the alerts that detect it (an alert closed as part of another: that other's id). */
  alertIds: string[];
  /** Ids of alerts with its endpoints and time but another type (none of them detects it). */
  mistypedAlertIds: string[];
  /** Anomalies whose flow belongs to this attack. */
  anomalies: number;
}

export interface AlertBrief {
  id: string;
  type: AlertType;
  sources: string[];
  targets: string[];
  start: number;
  end: number;
}

/** An alert closed as part of another: scored with it, not on its own. */
export interface AbsorbedAlertBrief extends AlertBrief {
  /** Its `supersededBy`. */
  supersededBy: string;
  /** The alert it is scored with: `supersededBy`, followed to an alert not closed as part of another. */
  partOf: string;
}

export interface FlowScores {
  /** Attack-labelled and benign flows in the comparison. */
  positives: number;
  negatives: number;
  rocAuc: number | null;
  averagePrecision: number | null;
  bestF1: BestF1 | null;
}

export interface TypeSummary {
  attacks: number;
  detected: number;
  /** detected / attacks (null when there is no attack of this type). */
  detectionRate: number | null;
  meanDelaySeconds: number | null;
  maxDelaySeconds: number | null;
  /** Alerts of this type, and those among them matching no attack (alerts closed as part of another not counted). */
  alerts: number;
  falseAlerts: number;
  /** Attack flows of this type vs all benign flows (when scored flows were given). */
  flows: FlowScores | null;
}

export interface AnomalySummary {
  total: number;
  /** Anomalies whose flow belongs to an attack. */
  matching: number;
  falseAnomalies: number;
  precision: number | null;
  /** Attacks with at least one anomaly. */
  attacksWithAnomaly: number;
}

export interface EvaluationReport {
  scenario: string;
  capture: string;
  options: Required<MatchOptions>;
  attacks: AttackResult[];
  falseAlerts: AlertBrief[];
  mistypedAlerts: AlertBrief[];
  /** Alerts closed as part of another (supersededBy), counted with it. */
  absorbedAlerts: AbsorbedAlertBrief[];
  byType: Partial<Record<AlertType, TypeSummary>>;
  overall: TypeSummary & {
    /** Alerts that detect at least one attack / all alerts (an alert closed as part of another is not one more). */
    alertPrecision: number | null;
    anomalies: AnomalySummary | null;
  };
}

const brief = (a: AlertV1): AlertBrief => ({ id: a.id, type: a.type, sources: a.sources, targets: a.targets, start: a.start, end: a.end });
const mean = (xs: number[]) => (xs.length ? xs.reduce((p, q) => p + q, 0) / xs.length : null);
const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

function flowScores(items: Scored[]): FlowScores {
  let positives = 0;
  for (const i of items) if (i.positive) positives++;
  return { positives, negatives: items.length - positives, rocAuc: rocAuc(items), averagePrecision: averagePrecision(items), bestF1: bestF1(items) };
}

/**
 * For each alert id, the id of the alert it is scored as: its own, or for an alert closed as part
 * of another (`supersededBy`), that alert's, followed while that one is itself part of another.
 * A link to an alert not in the list, or a loop, leaves the alert on its own: it is then all
 * there is to score.
 */
export function alertParts(alerts: readonly AlertV1[]): Map<string, string> {
  const next = new Map<string, string>();
  const ids = new Set(alerts.map((a) => a.id));
  for (const a of alerts) if (a.supersededBy !== undefined && a.supersededBy !== a.id && ids.has(a.supersededBy)) next.set(a.id, a.supersededBy);
  const partOf = new Map<string, string>();
  for (const id of ids) {
    let at = id;
    const seen = new Set([id]);
    for (let step = next.get(at); step !== undefined && !seen.has(step); step = next.get(at)) {
      at = step;
      seen.add(at);
    }
    // A loop has no alert outside it to be part of.
    partOf.set(id, next.has(at) ? id : at);
  }
  return partOf;
}

export function evaluate(input: EvaluationInput): EvaluationReport {
  const options = { ...DEFAULT_MATCH, ...input.options };
  const { truth, alerts: all } = input;
  const attacks = truth.attacks;
  const partOf = alertParts(all);
  const own = (a: AlertV1) => partOf.get(a.id)!;
  // The alerts scored on their own; those closed as part of one count through it.
  const alerts = all.filter((a) => own(a) === a.id);
  const uniq = (xs: string[]) => [...new Set(xs)];

  const matchedAlert = new Set<string>();
  const mistyped = new Set<string>();
  const results: AttackResult[] = attacks.map((t) => {
    const hits = all.filter((a) => alertMatches(a, t, options));
    const alertIds = uniq(hits.map(own));
    for (const id of alertIds) matchedAlert.add(id);
    const mistypedAlertIds = uniq(all.filter((a) => alertMistyped(a, t, options)).map(own)).filter((id) => !alertIds.includes(id));
    for (const id of mistypedAlertIds) mistyped.add(id);
    const first = hits.length ? Math.min(...hits.map((h) => h.start)) : null;
    const raw = first === null ? null : first - t.start;
    return {
      id: t.id,
      type: t.type,
      sources: t.sources,
      targets: t.targets,
      start: t.start,
      end: t.end,
      detected: hits.length > 0,
      delaySeconds: raw === null ? null : Math.max(0, raw),
      rawDelaySeconds: raw,
      alertIds,
      mistypedAlertIds,
      anomalies: 0,
    };
  });
  const falseAlerts = alerts.filter((a) => !matchedAlert.has(a.id) && !mistyped.has(a.id)).map(brief);
  const mistypedAlerts = alerts.filter((a) => !matchedAlert.has(a.id) && mistyped.has(a.id)).map(brief);
  const falseIds = new Set(falseAlerts.map((a) => a.id));
  const absorbedAlerts = all.filter((a) => own(a) !== a.id).map((a) => ({ ...brief(a), supersededBy: a.supersededBy!, partOf: own(a) }));

  let anomalies: AnomalySummary | null = null;
  if (input.anomalies) {
    let matching = 0;
    const byId = new Map(results.map((r) => [r.id, r]));
    for (const an of input.anomalies) {
      const t = anomalyAttack(an, attacks, options);
      if (!t) continue;
      matching++;
      byId.get(t.id)!.anomalies++;
    }
    const total = input.anomalies.length;
    anomalies = { total, matching, falseAnomalies: total - matching, precision: ratio(matching, total), attacksWithAnomaly: results.filter((r) => r.anomalies > 0).length };
  }

  // Flow labels: attack type of the flow's attack, or null for benign.
  let labelled: Array<{ type: AlertType | null; score: number }> | null = null;
  if (input.scoredFlows) labelled = input.scoredFlows.map(({ flow, score }) => ({ type: flowAttack(flow, attacks, options)?.type ?? null, score }));

  const summarise = (type: AlertType | null): TypeSummary => {
    const rs = type ? results.filter((r) => r.type === type) : results;
    const delays = rs.filter((r) => r.delaySeconds !== null).map((r) => r.delaySeconds as number);
    const as = type ? alerts.filter((a) => a.type === type) : alerts;
    let flows: FlowScores | null = null;
    if (labelled) {
      const items = labelled.filter((l) => l.type === null || type === null || l.type === type).map((l) => ({ score: l.score, positive: l.type !== null }));
      flows = flowScores(items);
    }
    return {
      attacks: rs.length,
      detected: rs.filter((r) => r.detected).length,
      detectionRate: ratio(rs.filter((r) => r.detected).length, rs.length),
      meanDelaySeconds: mean(delays),
      maxDelaySeconds: delays.length ? Math.max(...delays) : null,
      alerts: as.length,
      falseAlerts: as.filter((a) => falseIds.has(a.id)).length,
      flows,
    };
  };
  const byType: Partial<Record<AlertType, TypeSummary>> = {};
  for (const t of ALERT_TYPES) if (results.some((r) => r.type === t) || alerts.some((a) => a.type === t)) byType[t] = summarise(t);

  return {
    scenario: truth.scenario,
    capture: truth.capture,
    options,
    attacks: results,
    falseAlerts,
    mistypedAlerts,
    absorbedAlerts,
    byType,
    overall: { ...summarise(null), alertPrecision: ratio(matchedAlert.size, new Set(alerts.map((a) => a.id)).size), anomalies },
  };
}
