import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnomalyV1, FlowV1 } from '@netsentry/contracts';
import type { Model, RulesConfig } from '@netsentry/detection';
import { evaluate, formatReport, loadTruth, reportJson } from '@netsentry/evaluation';
import { CliError, ExitCode } from '../errors';
import { runAnalyze } from './analyze';

export interface EvalOptions {
  capture: string;
  truth: string;
  sensor: string;
  rules: RulesConfig;
  model?: Model;
  trainFraction?: number;
  seed?: number;
  format: 'table' | 'json';
  out?: string;
  quiet?: boolean;
  print?: (s: string) => void;
  note?: (s: string) => void;
}

/** eval: analyze a lab capture, then score alerts and anomalies against its truth file. */
export async function runEval(o: EvalOptions): Promise<number> {
  const print = o.print ?? ((s: string) => process.stdout.write(s + '\n'));
  const t = loadTruth(o.truth);
  if (!t.ok) throw new CliError('CLI.BAD_TRUTH', `${o.truth}: not a usable truth file (${t.code}: ${t.reason})`);
  const scored: Array<{ flow: FlowV1; score: number }> = [];
  const anomalies: AnomalyV1[] = [];
  const res = await runAnalyze({
    command: 'eval',
    files: [o.capture],
    sensor: o.sensor,
    rules: o.rules,
    model: o.model,
    trainFraction: o.trainFraction,
    seed: o.seed,
    out: o.out,
    format: 'table',
    quiet: o.quiet,
    note: o.note,
    silent: true,
    onScored: (flow, score) => scored.push({ flow, score }),
    onAnomaly: (a) => anomalies.push(a),
  });
  const report = evaluate({ truth: t.truth, alerts: res.alerts, anomalies, scoredFlows: scored });
  if (o.out) writeFileSync(join(o.out, 'eval.json'), JSON.stringify(report, null, 2) + '\n');
  if (o.format === 'json') print(reportJson(report));
  else print(formatReport(report));
  return ExitCode.Ok;
}
