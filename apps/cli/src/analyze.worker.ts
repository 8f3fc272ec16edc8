// First: analyze.thread marks this worker as exited if anything below fails to load.
import {
  BLOCK, Ctl, FEATURE_COUNT, NAMES, ringRead, type AnalyzeRunConfig, type AnalyzeWorkerData, type AnalyzeWorkerResult, type ToMain,
  type ToWorker, type ToWorkerRun,
} from './analyze.thread';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import type { FlowV1 } from '@netsentry/contracts';
import { Model } from '@netsentry/detection';
import { PacketRecord } from '@netsentry/packets';
import { loadRules } from './config';
import { CliError } from './errors';
import { FlowSide } from './flow-side';
import { LineSink } from './output/sink';
import { PacketSide } from './packet-side';
import { finishRun } from './run-end';

/**
 * The analyze worker (see analyze.thread.ts): for each run, PacketSide (statistics, rules,
 * traffic counters) on every packet of the shared ring, each finished flow given to the rules
 * and to FlowSide (analysis, training, scoring, anomalies.csv) at the position in the packet
 * stream where the one-thread pipeline gives it, then the summary, alerts.csv and report.html
 * (finishRun). A failed run reports its error once.
 */
const data = workerData as AnalyzeWorkerData;
const ctl = new Int32Array(data.ctl);
const ring = new Uint32Array(data.ring);
const tsRing = new Float64Array(data.ts);
const port = parentPort!;
const rec = new PacketRecord();
/** Every feature, keys in FLOW_FEATURE_NAMES order: the shape each flow's record is cloned from (as libs/flows makes it). */
const TEMPLATE: Record<string, number> = Object.fromEntries(NAMES.map((n) => [n, 0.5]));

/** Waits until the main thread has published more than `i` packets or posted the end; returns PUB. */
function waitFor(i: number): number {
  for (;;) {
    const pub = Atomics.load(ctl, Ctl.PUB);
    if (pub > i || Atomics.load(ctl, Ctl.DONE) !== 0) return Atomics.load(ctl, Ctl.PUB);
    Atomics.wait(ctl, Ctl.PUB, pub, 1000);
  }
}

function runOne(c: AnalyzeRunConfig, runPort: MessagePort): AnalyzeWorkerResult {
  const side = new PacketSide({ sensor: c.sensor, rules: c.rules ?? loadRules(), statsIntervalS: c.statsIntervalS });
  const flowSide = new FlowSide({
    flowsOut: null, // written by the main thread
    // The main thread opened this descriptor and closes it after this run.
    anomaliesOut: c.anomalies ? LineSink.fromFd(c.anomalies.fd, c.anomalies.path, false) : null,
    model: c.model ? Model.fromJSON(c.model) : undefined,
    maxTrainFlows: c.maxTrainFlows,
    seed: c.seed,
    contamination: c.contamination,
  });
  // What the main thread posted, in order: flows (with positions) and the training point (null
  // in qFlow, its input fraction in qTrain, position -1: handled right after the flow before it).
  let qFlow: Array<FlowV1 | null> = [];
  let qPos: number[] = [];
  let qTrain: number[] = [];
  let qHead = 0;
  let end: (ToWorkerRun & { t: 'end' }) | null = null;
  const drain = (): void => {
    for (;;) {
      const r = receiveMessageOnPort(runPort);
      if (r === undefined) return;
      const m = r.message as ToWorkerRun;
      if (m.t === 'flows') {
        const fv = m.features;
        for (let k = 0; k < m.flows.length; k++) {
          const f = m.flows[k];
          const feats = { ...TEMPLATE };
          const o = k * FEATURE_COUNT;
          for (let j = 0; j < FEATURE_COUNT; j++) feats[NAMES[j]] = fv[o + j];
          f.features = feats as FlowV1['features'];
          qFlow.push(f);
          qPos.push(m.pos[k]);
          qTrain.push(0);
        }
      } else if (m.t === 'train') {
        qFlow.push(null);
        qPos.push(-1);
        qTrain.push(m.inputFraction);
      } else end = m;
    }
  };
  /** Hands every queued flow (and training point) up to position `p` over, in order. */
  const deliver = (p: number): void => {
    while (qHead < qFlow.length && qPos[qHead] <= p) {
      const f = qFlow[qHead];
      if (f === null) flowSide.train(qTrain[qHead]);
      else {
        side.onFlow(f);
        flowSide.flow(f);
      }
      qHead++;
    }
    if (qHead === qFlow.length && qHead > 0) {
      qFlow = [];
      qPos = [];
      qTrain = [];
      qHead = 0;
    }
  };

  // The same one-second watermarks from packet time as Pipeline.push/watermark make.
  let nextAdvanceUs = -1;
  let lastTsUs = 0;
  let i = 0;
  for (;;) {
    const pub = waitFor(i);
    drain(); // every flow ended before packet `pub` was posted before PUB was
    if (i >= pub) break; // the end: nothing more will be published
    for (; i < pub; i++) {
      const newFlow = ringRead(ring, tsRing, i, rec);
      const ts = rec.tsUs;
      if (ts >= nextAdvanceUs) {
        if (nextAdvanceUs >= 0) {
          deliver(2 * i);
          side.advance(ts);
        }
        nextAdvanceUs = ts - (ts % 1_000_000) + 1_000_000;
      }
      if (ts > lastTsUs) lastTsUs = ts;
      deliver(2 * i + 1);
      side.add(rec, newFlow);
      if (((i + 1) & (BLOCK - 1)) === 0) {
        Atomics.store(ctl, Ctl.CONS, i + 1);
        Atomics.notify(ctl, Ctl.CONS);
      }
    }
    Atomics.store(ctl, Ctl.CONS, i);
    Atomics.notify(ctl, Ctl.CONS);
  }
  const e = end as (ToWorkerRun & { t: 'end' }) | null;
  if (e === null) throw new Error('analyze worker: end of run without its end message');
  if (e.packets !== i) throw new Error(`analyze worker: ${i} packets in the ring, ${e.packets} sent`);
  deliver(Infinity);
  side.finish(lastTsUs);
  const flows = flowSide.finish();
  const r = finishRun({
    command: c.command,
    sensor: c.sensor,
    inputs: e.inputs,
    warnings: e.warnings,
    flows: e.flows,
    traffic: side.traffic,
    alerts: side.alerts.values(),
    side: flows,
    trained: flows.trained,
    out: c.out,
    failOn: c.failOn,
  });
  return { ...r, trained: flows.trained };
}

port.on('message', (m: ToWorker) => {
  if (m.t !== 'start') return;
  const run = m.run;
  let msg: ToMain;
  try {
    msg = { t: 'done', run, result: runOne(m.config, m.port) };
  } catch (e) {
    const err = e as Error;
    msg = { t: 'error', run, code: e instanceof CliError ? e.code : null, message: err?.message ?? String(e), stack: err?.stack };
  }
  m.port.close();
  port.postMessage(msg);
});
