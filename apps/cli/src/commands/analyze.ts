import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AlertV1, AnomalyV1, FlowV1, Severity } from '@netsentry/contracts';
import { severityRank } from '@netsentry/contracts';
import type { CaptureSummary } from '@netsentry/packets';
import type { Model, RulesConfig } from '@netsentry/detection';
import { Analysis, buildSummary, sortAlerts, type ReportData, type RunSummary } from '../analysis';
import { CliError, ExitCode } from '../errors';
import { Pipeline, type TrainedInfo } from '../pipeline';
import { checkCaptureFile } from '../inputs';
import { captureLive, readFiles } from '../sources';
import { anomalyRow, ANOMALY_COLUMNS, FlowWriter, writeAlertsCsv } from '../output/records';
import { renderReport } from '../output/report';
import { csvRow, LineSink } from '../output/sink';
import { alertLine, fmtTime, renderSummary } from '../output/text';

export interface AnalyzeOptions {
  command: 'analyze' | 'detect' | 'eval';
  files: string[];
  iface?: string;
  bpf?: string;
  durationS?: number;
  sensor: string;
  rules: RulesConfig;
  model?: Model;
  contamination?: number | 'auto';
  seed?: number;
  trainFraction?: number;
  flowTable?: { idleTimeoutS?: number; activeTimeoutS?: number };
  out?: string;
  format: 'table' | 'json';
  failOn?: Severity;
  quiet?: boolean;
  /** Printed lines go here (stdout); notes and warnings to `err` (stderr). */
  print?: (s: string) => void;
  note?: (s: string) => void;
  /** Every anomaly (eval; summary.json keeps the top 1000). */
  onAnomaly?: (a: AnomalyV1) => void;
  /** Every scored flow (eval). */
  onScored?: (flow: FlowV1, score: number) => void;
  /** Skip printing the summary (eval prints its own table). */
  silent?: boolean;
}

export interface AnalyzeResult {
  summary: RunSummary;
  alerts: AlertV1[];
  exitCode: ExitCode;
}

/** analyze / detect: the pipeline over files or a live interface, then the summary and outputs. */
export async function runAnalyze(o: AnalyzeOptions): Promise<AnalyzeResult> {
  const print = o.print ?? ((s: string) => process.stdout.write(s + '\n'));
  const note = o.note ?? ((s: string) => process.stderr.write(s + '\n'));
  o.files.forEach(checkCaptureFile); // input errors before any output is created
  if (o.out) {
    try {
      mkdirSync(o.out, { recursive: true });
    } catch (e) {
      throw new CliError('CLI.OUTPUT', `${o.out}: cannot create output directory: ${(e as Error).message}`);
    }
  }
  const analysis = new Analysis();
  const flowsOut = o.out ? new FlowWriter(LineSink.file(join(o.out, 'flows.csv')), 'csv', 'native') : null;
  const anomaliesOut = o.out ? LineSink.file(join(o.out, 'anomalies.csv')) : null;
  anomaliesOut?.line(csvRow(ANOMALY_COLUMNS));
  let trained: TrainedInfo | undefined;
  const live = o.iface !== undefined;
  const pipeline = new Pipeline({
    sensor: o.sensor,
    rules: o.rules,
    model: o.model,
    flowTable: o.flowTable,
    autoTrain: { fraction: o.trainFraction, seed: o.seed, contamination: o.contamination },
    onFlow: (f) => {
      analysis.onFlow(f);
      flowsOut?.write(f);
    },
    onAnomaly: (a) => {
      analysis.onAnomaly(a);
      o.onAnomaly?.(a);
      anomaliesOut?.line(anomalyRow(a));
    },
    onAlert: (a, change) => {
      // Live: alerts print as they happen. Files: they are listed in the summary.
      if (live && change === 'new' && o.format === 'table') print(alertLine(a, change));
    },
    onScored: o.onScored,
    onTrained: (info) => {
      trained = info;
      if (info.skippedReason) note(`netsentry: no --model given and ${info.skippedReason}: anomalies are not scored`);
      else
        note(
          `netsentry: no --model given: trained model ${info.model.id} on the first part of the input ` +
            `(${info.flows} flows up to ${fmtTime(info.untilTs)}, ${Math.round(info.inputFraction * 100)}% of the input read)`,
        );
    },
  });

  let inputs: CaptureSummary[];
  const warnings: string[] = [];
  if (live) {
    const startedUs = Date.now() * 1000;
    const dur = o.durationS ?? 0;
    const res = await captureLive((rec) => pipeline.push(rec), {
      iface: o.iface!,
      bpf: o.bpf,
      durationS: o.durationS,
      onOpen: () => {
        if (!o.quiet) note(`netsentry: capturing on ${o.iface}${o.bpf ? ` (filter: ${o.bpf})` : ''}${o.durationS ? ` for ${o.durationS} s` : ''}; Ctrl-C to stop`);
      },
      onTick: (nowUs) => {
        // Wall clock as well as packet time: an idle interface still ends its flows on time.
        pipeline.watermark(nowUs);
        const frac = dur > 0 ? (nowUs - startedUs) / (dur * 1e6) : (nowUs - startedUs) / 60e6;
        pipeline.maybeTrain(frac);
      },
    });
    inputs = [
      {
        file: `live:${o.iface}`,
        format: 'live',
        linkTypes: [res.linkType],
        packets: res.packets,
        decoded: res.packets - res.decodeErrors,
        bytes: pipeline.traffic.bytes,
        firstTsUs: Math.max(0, pipeline.traffic.firstTsUs),
        lastTsUs: Math.max(0, pipeline.traffic.lastTsUs),
        decodeErrors: res.decodeErrors ? { undecodable: res.decodeErrors } : {},
        unsupported: 0,
      } as unknown as CaptureSummary,
    ];
  } else {
    const res = await readFiles(o.files, (rec) => pipeline.push(rec), {
      label: o.command,
      quiet: o.quiet,
      onFraction: (f) => pipeline.maybeTrain(f),
    });
    inputs = res.summaries;
    warnings.push(...res.warnings);
    for (const w of res.warnings) note(w);
  }
  pipeline.finish();
  flowsOut?.close();
  anomaliesOut?.close();

  const alerts = sortAlerts(pipeline.alerts.values());
  const model = pipeline.modelInUse;
  const summary = buildSummary({
    command: o.command,
    sensor: o.sensor,
    inputs,
    traffic: pipeline.traffic,
    flows: pipeline.flows,
    alerts,
    analysis,
    model: model ? { id: model.id, version: model.version } : null,
    trained: trained && !trained.skippedReason ? trained : undefined,
    warnings,
  });
  if (trained?.skippedReason) summary.modelNote = `no model: ${trained.skippedReason}; anomalies were not scored`;

  if (o.out) {
    writeFileSync(join(o.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    writeAlertsCsv(join(o.out, 'alerts.csv'), alerts);
    const report: ReportData = {
      summary,
      traffic: pipeline.traffic.series(),
      lengths: pipeline.traffic.lengthDistribution(),
      correlation: analysis.correlation(),
    };
    writeFileSync(join(o.out, 'report.html'), renderReport(report));
  }
  if (!o.silent) {
    if (o.format === 'json') print(JSON.stringify(summary, null, 2));
    else {
      print(renderSummary(summary));
      if (o.out) print(`\nWrote summary.json, flows.csv, alerts.csv, anomalies.csv and report.html to ${o.out}`);
    }
  }
  let exitCode = ExitCode.Ok;
  if (o.failOn) {
    const min = severityRank(o.failOn);
    if (alerts.some((a) => severityRank(a.severity) >= min)) exitCode = ExitCode.AlertsFound;
  }
  return { summary, alerts, exitCode };
}
