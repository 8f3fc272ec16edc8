import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AlertV1, Severity } from '@netsentry/contracts';
import { severityRank } from '@netsentry/contracts';
import type { CaptureSummary } from '@netsentry/packets';
import { buildSummary, sortAlerts, type ReportData, type RunSummary } from './analysis';
import { ExitCode } from './errors';
import type { FlowSideResult, TrainedNote } from './flow-side';
import { writeAlertsCsv } from './output/records';
import { renderReport } from './output/report';
import type { TrafficCounters } from './traffic';

/**
 * The end of an analyze run: summary.json, alerts.csv and report.html from what the packet side
 * (traffic counters, alerts) and the flow side (analysis, model) gathered, and the exit code.
 * The main thread runs it on one thread; with two threads the analyze worker runs it, so the
 * main thread never loads the contracts' schemas (zod) nor the report code.
 */
export interface RunEnd {
  command: string;
  sensor: string;
  inputs: CaptureSummary[];
  warnings: string[];
  /** Flows the flow table finished. */
  flows: number;
  traffic: TrafficCounters;
  alerts: Iterable<AlertV1>;
  side: FlowSideResult;
  trained: TrainedNote | null;
  out?: string;
  failOn?: Severity;
}

export interface RunEndResult {
  summary: RunSummary;
  /** Sorted as summary.json lists them. */
  alerts: AlertV1[];
  exitCode: ExitCode;
}

export function finishRun(e: RunEnd): RunEndResult {
  const alerts = sortAlerts(e.alerts);
  const t = e.trained;
  const summary = buildSummary({
    command: e.command,
    sensor: e.sensor,
    inputs: e.inputs,
    traffic: e.traffic,
    flows: e.flows,
    alerts,
    analysis: e.side.analysis,
    model: e.side.model,
    trained: t && !t.skippedReason ? t : undefined,
    warnings: e.warnings,
  });
  if (t?.skippedReason) summary.modelNote = `no model: ${t.skippedReason}; anomalies were not scored`;
  if (e.out) {
    writeFileSync(join(e.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    writeAlertsCsv(join(e.out, 'alerts.csv'), alerts);
    const report: ReportData = {
      summary,
      traffic: e.traffic.series(),
      lengths: e.traffic.lengthDistribution(),
      correlation: e.side.analysis.correlation,
    };
    writeFileSync(join(e.out, 'report.html'), renderReport(report));
  }
  let exitCode = ExitCode.Ok;
  if (e.failOn) {
    const min = severityRank(e.failOn);
    if (alerts.some((a) => severityRank(a.severity) >= min)) exitCode = ExitCode.AlertsFound;
  }
  return { summary, alerts, exitCode };
}
