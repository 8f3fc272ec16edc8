/**
 * Scores alerts, anomalies and flow scores against a truth file. Pure: the caller reads the
 * files; this returns a plain JSON-able report (for machines) that `formatReport` renders as a
 * table (for people). Matching rules: see matching.ts.
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
  /** Ids of the alerts that detect it. */
  alertIds: string[];
  /** Ids of alerts with its endpoints and time but another type. */
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
  /** Alerts of this type, and those among them matching no attack. */
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
  byType: Partial<Record<AlertType, TypeSummary>>;
  overall: TypeSummary & {
    /** Alerts that detect at least one attack / all alerts. */
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

export function evaluate(input: EvaluationInput): EvaluationReport {
  const options = { ...DEFAULT_MATCH, ...input.options };
  const { truth, alerts } = input;
  const attacks = truth.attacks;

  const matchedAlert = new Set<string>();
  const mistyped = new Set<string>();
  const results: AttackResult[] = attacks.map((t) => {
    const hits = alerts.filter((a) => alertMatches(a, t, options));
    for (const h of hits) matchedAlert.add(h.id);
    const miss = alerts.filter((a) => alertMistyped(a, t, options));
    for (const m of miss) mistyped.add(m.id);
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
      alertIds: hits.map((h) => h.id),
      mistypedAlertIds: miss.map((m) => m.id),
      anomalies: 0,
    };
  });
  const falseAlerts = alerts.filter((a) => !matchedAlert.has(a.id) && !mistyped.has(a.id)).map(brief);
  const mistypedAlerts = alerts.filter((a) => !matchedAlert.has(a.id) && mistyped.has(a.id)).map(brief);
  const falseIds = new Set(falseAlerts.map((a) => a.id));

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
    byType,
    overall: { ...summarise(null), alertPrecision: ratio(matchedAlert.size, new Set(alerts.map((a) => a.id)).size), anomalies },
  };
}
