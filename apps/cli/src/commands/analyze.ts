import { mkdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import type { AlertV1, AnomalyV1, FlowV1, Severity } from '@netsentry/contracts';
import type { CaptureSummary } from '@netsentry/packets';
import type { Model, RulesConfig } from '@netsentry/detection';
import type { RunSummary } from '../analysis';
import { AnalyzeThread } from '../analyze.thread';
import { CliError, ExitCode } from '../errors';
import type { FlowSide as FlowSideT, FlowSideResult, TrainedNote } from '../flow-side';
import { Pipeline } from '../pipeline';
import type { RunEndResult } from '../run-end';
import type { TrafficCounters } from '../traffic';
import { checkCaptureFile } from '../inputs';
import { captureLive, readFiles } from '../sources';
import { LineSink } from '../output/sink';
import { alertLine, fmtTime, renderSummary } from '../output/text';

// Loaded only on the paths that need them (one thread, live capture, eval): with two threads
// the main thread runs the flow table only, and the worker loads the detection library, the
// contracts' schemas and the report code while the main thread is already reading packets.
const lazyFlowSide = (): typeof import('../flow-side') => require('../flow-side');
const lazyRunEnd = (): typeof import('../run-end') => require('../run-end');

/**
 * With `threads: 'auto'`, inputs at least this large (all files together) are analysed on two
 * threads. Fresh processes, bundle and code cache, medians (docs/bench/cli.md): one thread was
 * faster on the 257 MB bench capture (0.73 s against 0.765 s) and on it four times over (1.03 GB:
 * 1.73 s against 1.92 s); two threads were faster on it eight times over (2.06 GB: 2.82 s against
 * 3.10 s), where the second isolate's start-up and compiles are paid back.
 */
export const THREADED_MIN_BYTES = 1536 << 20;

export interface AnalyzeOptions {
  command: 'analyze' | 'detect' | 'eval';
  files: string[];
  iface?: string;
  bpf?: string;
  durationS?: number;
  sensor: string;
  /** Rule thresholds; absent: the built-in defaults (config/rules.yaml), loaded where the rules run. */
  rules?: RulesConfig;
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
  /**
   * Two threads (analyze.thread.ts: the flow table on this thread; statistics, rules, training,
   * scoring, anomalies.csv and the summary/report in a worker) for file input without
   * onScored/onAnomaly: true, false (default here; the CLI's default is 'auto'), or 'auto' (files
   * of THREADED_MIN_BYTES or more, two cores, one of them mostly idle: autoThreads). The outputs
   * are the same either way.
   */
  threads?: boolean | 'auto';
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
  const inputFiles = o.files.map(checkCaptureFile); // input errors before any output is created
  if (o.out) {
    try {
      mkdirSync(o.out, { recursive: true });
    } catch (e) {
      throw new CliError('CLI.OUTPUT', `${o.out}: cannot create output directory: ${(e as Error).message}`);
    }
  }
  const live = o.iface !== undefined;
  const inputBytes = inputFiles.reduce((n, f) => n + f.size, 0);
  const threaded =
    !live && o.onScored === undefined && o.onAnomaly === undefined && (o.threads === true || (o.threads === 'auto' && autoThreads(inputBytes)));
  const flowsPath = o.out ? join(o.out, 'flows.csv') : null;
  const anomaliesPath = o.out ? join(o.out, 'anomalies.csv') : null;
  const flowsFd = flowsPath ? LineSink.open(flowsPath) : -1;
  const anomaliesFd = anomaliesPath ? LineSink.open(anomaliesPath) : -1;
  let trained: TrainedNote | null = null;
  const trainedNote = (info: TrainedNote): void => {
    if (info.skippedReason) note(`netsentry: no --model given and ${info.skippedReason}: anomalies are not scored`);
    else
      note(
        `netsentry: no --model given: trained model ${info.model!.id} on the first part of the input ` +
          `(${info.flows} flows up to ${fmtTime(info.untilTs)}, ${Math.round(info.inputFraction * 100)}% of the input read)`,
      );
  };
  // The flow side: here (live capture, eval's callbacks, one thread) or in the analyze worker.
  const sideHere: FlowSideT | null = threaded
    ? null
    : new (lazyFlowSide().FlowSide)({
        flowsOut: flowsPath ? LineSink.fromFd(flowsFd, flowsPath) : null,
        anomaliesOut: anomaliesPath ? LineSink.fromFd(anomaliesFd, anomaliesPath) : null,
        model: o.model,
        seed: o.seed,
        contamination: o.contamination,
        onScored: o.onScored,
        onAnomaly: o.onAnomaly,
        // Capture files: score in blocks (same results); live capture reports each flow as it ends.
        batch: live || o.onScored || o.onAnomaly ? 1 : lazyFlowSide().SCORE_BLOCK,
        onTrained: (info) => {
          trained = info;
          trainedNote(info);
        },
      });
  const sideThread = threaded
    ? new AnalyzeThread({
        command: o.command,
        flows: flowsPath ? { fd: flowsFd, path: flowsPath } : null,
        anomalies: anomaliesPath ? { fd: anomaliesFd, path: anomaliesPath } : null,
        out: o.out,
        model: o.model,
        seed: o.seed,
        contamination: o.contamination,
        sensor: o.sensor,
        rules: o.rules,
        failOn: o.failOn,
      })
    : null;
  /** Threads: whether the training point came before the end of the input (when its note is printed). */
  let trainedDuringInput = false;
  let inputDone = false;
  const pipeline = new Pipeline({
    sensor: o.sensor,
    rules: o.rules,
    model: o.model,
    flowTable: o.flowTable,
    autoTrain: { fraction: o.trainFraction, seed: o.seed, contamination: o.contamination },
    flowSink: sideThread
      ? {
          flow: (f) => sideThread.flow(f),
          train: (fraction) => {
            trainedDuringInput = !inputDone;
            sideThread.train(fraction);
          },
        }
      : sideHere!,
    packetSink: sideThread ?? undefined,
    onAlert: (a, change) => {
      // Live: alerts print as they happen. Files: they are listed in the summary.
      if (live && change === 'new' && o.format === 'table') print(alertLine(a, change));
    },
  });

  let inputs: CaptureSummary[];
  const warnings: string[] = [];
  let end: RunEndResult;
  try {
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
      // In-process, the training note was printed when training happened; with the worker it
      // is printed here, in the same place relative to the warnings.
      if (!sideThread) for (const w of res.warnings) note(w);
    }
    inputDone = true;
    pipeline.finish();
    if (sideThread) {
      // The worker writes summary.json, alerts.csv and report.html (run-end.ts) and returns the summary.
      const r = await sideThread.finish({ flows: pipeline.flows, inputs, warnings });
      trained = r.trained;
      if (trained && trainedDuringInput) trainedNote(trained);
      for (const w of warnings) note(w);
      if (trained && !trainedDuringInput) trainedNote(trained);
      end = { summary: r.summary, alerts: r.alerts, exitCode: r.exitCode };
    } else {
      const side: FlowSideResult = sideHere!.finish();
      const traffic: TrafficCounters = pipeline.traffic;
      end = lazyRunEnd().finishRun({
        command: o.command,
        sensor: o.sensor,
        inputs,
        warnings,
        flows: pipeline.flows,
        traffic,
        alerts: pipeline.alerts.values(),
        side,
        trained,
        out: o.out,
        failOn: o.failOn,
      });
    }
  } catch (e) {
    await sideThread?.abort();
    throw e;
  }
  const { summary } = end;
  if (!o.silent) {
    if (o.format === 'json') print(JSON.stringify(summary, null, 2));
    else {
      print(renderSummary(summary));
      if (o.out) print(`\nWrote summary.json, flows.csv, alerts.csv, anomalies.csv and report.html to ${o.out}`);
    }
  }
  return { summary, alerts: end.alerts, exitCode: end.exitCode };
}

/**
 * Two threads for `threads: 'auto'`: a large enough input, a second core, and on average at least
 * half a core idle (1-minute load average). Two threads use ~0.3-0.5 s more CPU in all than one on
 * the 1 M-packet capture (a second isolate: its start-up, module loading, JIT and GC): with no idle
 * core that extra work is what the wall clock shows (docs/bench/cli.md). The outputs are the same
 * either way.
 */
function autoThreads(inputBytes: number): boolean {
  const cores = availableParallelism();
  return inputBytes >= THREADED_MIN_BYTES && cores >= 2 && loadavg()[0] <= cores - 0.5;
}
