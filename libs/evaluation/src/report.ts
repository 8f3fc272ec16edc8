/** Renders an evaluation report as plain-text tables for people. */
import type { EvaluationReport, TypeSummary } from './evaluate';

const f = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? '-' : x.toFixed(digits));
const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(0)}%`);

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

export function formatReport(r: EvaluationReport): string {
  const out: string[] = [];
  out.push(`Evaluation of ${r.capture} (scenario ${r.scenario})`);
  out.push('');
  out.push(
    table(
      ['attack', 'type', 'detected', 'delay s', 'alerts', 'anomalies'],
      r.attacks.map((a) => [a.id, a.type, a.detected ? 'yes' : 'NO', f(a.delaySeconds, 2), String(a.alertIds.length), String(a.anomalies)]),
    ),
  );
  out.push('');
  const row = (name: string, s: TypeSummary) => [
    name,
    `${s.detected}/${s.attacks}`,
    pct(s.detectionRate),
    f(s.meanDelaySeconds, 2),
    `${s.falseAlerts}/${s.alerts}`,
    f(s.flows?.rocAuc),
    f(s.flows?.averagePrecision),
    f(s.flows?.bestF1?.f1 ?? null),
  ];
  const rows = Object.entries(r.byType).map(([t, s]) => row(t, s as TypeSummary));
  rows.push(row('overall', r.overall));
  out.push(table(['type', 'detected', 'rate', 'mean delay s', 'false/alerts', 'ROC AUC', 'AP', 'best F1'], rows));
  out.push('');
  // Said only when there is one, so reports without such alerts read as before.
  const absorbed = r.absorbedAlerts.length ? `; part of another alert: ${r.absorbedAlerts.length}` : '';
  out.push(`alert precision: ${pct(r.overall.alertPrecision)}; false alerts: ${r.falseAlerts.length}; mistyped alerts: ${r.mistypedAlerts.length}${absorbed}`);
  if (r.overall.anomalies) {
    const a = r.overall.anomalies;
    out.push(`anomalies: ${a.total} (${a.matching} on attack flows, ${a.falseAnomalies} on benign; precision ${pct(a.precision)}); attacks with an anomaly: ${a.attacksWithAnomaly}/${r.attacks.length}`);
  }
  if (r.overall.flows?.bestF1) {
    const b = r.overall.flows.bestF1;
    out.push(`flows: ${r.overall.flows.positives} attack, ${r.overall.flows.negatives} benign; best F1 ${f(b.f1)} at score >= ${f(b.threshold, 4)} (precision ${f(b.precision)}, recall ${f(b.recall)})`);
  }
  for (const a of r.absorbedAlerts.slice(0, 20)) out.push(`alert ${a.id} (${a.type}) is part of ${a.partOf}: counted with it`);
  for (const a of r.falseAlerts.slice(0, 20)) out.push(`false alert ${a.id}: ${a.type} ${a.sources.slice(0, 3).join(',')} -> ${a.targets.slice(0, 3).join(',')} at ${a.start.toFixed(3)}`);
  return out.join('\n') + '\n';
}

/** The report as JSON for machines (stable key order as built). */
export function reportJson(r: EvaluationReport): string {
  return JSON.stringify(r, null, 2) + '\n';
}
