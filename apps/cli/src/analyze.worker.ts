// First: analyze.thread marks this worker as exited if anything below fails to load.
import {
  Ctl, FEATURE_COUNT, NAMES, R, ringRead, type AnalyzeRunConfig, type AnalyzeWorkerData, type AnalyzeWorkerResult, type ToMain,
  type ToWorker, type ToWorkerRun,
} from './analyze.thread';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import type { FlowV1 } from '@netsentry/contracts';
import { Model } from '@netsentry/detection';
import { PacketRecord } from '@netsentry/packets';
import { loadRules } from './config';
import { CliError } from './errors';
import { FlowSide, SCORE_BLOCK } from './flow-side';
import { LineSink } from './output/sink';
import { PacketSide } from './packet-side';
import { finishRun } from './run-end';
import { TrafficCounters } from './traffic';

/**
 * The analyze worker (see analyze.thread.ts): for each run, PacketSide (statistics, rules) on
 * every packet of the shared ring, each finished flow given to the rules
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
// Module locals: an imported binding is a property read on the other module's exports per use.
const names = NAMES;
const featureCount = FEATURE_COUNT;

/** Waits until the main thread has published more than `i` packets or posted the end; returns PUB. */
function waitFor(i: number): number {
  for (;;) {
    const pub = Atomics.load(ctl, Ctl.PUB);
    if (pub > i || Atomics.load(ctl, Ctl.DONE) !== 0) return Atomics.load(ctl, Ctl.PUB);
    Atomics.wait(ctl, Ctl.PUB, pub, 1000);
  }
}

/** One run: the packet side over the ring, the flows handed over at their positions. */
class Run {
  readonly side: PacketSide;
  readonly flowSide: FlowSide;
  /**
   * What the main thread posted, in order: flows with their positions, and the training point
   * (null in qFlow, its input fraction in qTrain, position -1: handled right after the flow
   * before it). Emptied (length 0) whenever every entry was handed over.
   */
  private readonly qFlow: Array<FlowV1 | null> = [];
  private readonly qPos: number[] = [];
  private readonly qTrain: number[] = [];
  private qHead = 0;
  /** Position of the queue's head entry (Infinity when empty): one comparison per packet. */
  private headPos = Infinity;
  end: (ToWorkerRun & { t: 'end' }) | null = null;
  /** Packets consumed. */
  i = 0;
  /** The same one-second watermarks from packet time as Pipeline.push/watermark make. */
  private nextAdvanceUs = -1;
  lastTsUs = 0;

  constructor(
    c: AnalyzeRunConfig,
    private readonly runPort: MessagePort,
  ) {
    this.side = new PacketSide({ sensor: c.sensor, rules: c.rules ?? loadRules(), statsIntervalS: c.statsIntervalS, traffic: false });
    this.flowSide = new FlowSide({
      flowsOut: null, // written by the main thread
      // The main thread opened this descriptor and closes it after this run.
      anomaliesOut: c.anomalies ? LineSink.fromFd(c.anomalies.fd, c.anomalies.path, false) : null,
      model: c.model ? Model.fromJSON(c.model) : undefined,
      maxTrainFlows: c.maxTrainFlows,
      seed: c.seed,
      contamination: c.contamination,
      batch: SCORE_BLOCK,
    });
  }

  /** Takes every message posted so far off the run's port. */
  drain(): void {
    for (;;) {
      const r = receiveMessageOnPort(this.runPort);
      if (r === undefined) break;
      const m = r.message as ToWorkerRun;
      if (m.t === 'flows') {
        const fv = m.features;
        for (let k = 0; k < m.flows.length; k++) {
          const f = m.flows[k];
          const feats = { ...TEMPLATE };
          const o = k * featureCount;
          for (let j = 0; j < featureCount; j++) feats[names[j]] = fv[o + j];
          f.features = feats as FlowV1['features'];
          this.qFlow.push(f);
          this.qPos.push(m.pos[k]);
          this.qTrain.push(0);
        }
      } else if (m.t === 'train') {
        this.qFlow.push(null);
        this.qPos.push(-1);
        this.qTrain.push(m.inputFraction);
      } else this.end = m;
    }
    this.headPos = this.qHead < this.qPos.length ? this.qPos[this.qHead] : Infinity;
  }

  /** Hands every queued flow (and training point) up to position `p` over, in order. */
  deliver(p: number): void {
    const qFlow = this.qFlow, qPos = this.qPos;
    let h = this.qHead;
    while (h < qFlow.length && qPos[h] <= p) {
      const f = qFlow[h];
      if (f === null) this.flowSide.train(this.qTrain[h]);
      else {
        this.side.onFlow(f);
        this.flowSide.flow(f);
      }
      h++;
    }
    if (h === qFlow.length) {
      qFlow.length = 0;
      qPos.length = 0;
      this.qTrain.length = 0;
      h = 0;
    }
    this.qHead = h;
    this.headPos = h < qPos.length ? qPos[h] : Infinity;
  }

  /** Packets i .. pub-1 of the ring (published: their flows are queued); the caller then sets i = pub. */
  consume(pub: number): void {
    const side = this.side;
    for (let i = this.i; i < pub; i++) {
      const newFlow = ringRead(ring, tsRing, i, rec);
      const ts = rec.tsUs;
      if (ts >= this.nextAdvanceUs) {
        if (this.nextAdvanceUs >= 0) {
          if (this.headPos <= 2 * i) this.deliver(2 * i);
          side.advance(ts);
        }
        this.nextAdvanceUs = ts - (ts % 1_000_000) + 1_000_000;
      }
      if (ts > this.lastTsUs) this.lastTsUs = ts;
      if (this.headPos <= 2 * i + 1) this.deliver(2 * i + 1);
      side.add(rec, newFlow);
      if (((i + 1) & (R.BLOCK - 1)) === 0) {
        Atomics.store(ctl, Ctl.CONS, i + 1);
        Atomics.notify(ctl, Ctl.CONS);
      }
    }
    // Nothing else after the loop: V8 compiles this function while the loop runs (on-stack
    // replacement), and code after the loop with no type feedback yet deoptimised it at every return.
  }
}

function runOne(c: AnalyzeRunConfig, runPort: MessagePort): AnalyzeWorkerResult {
  const run = new Run(c, runPort);
  for (;;) {
    const pub = waitFor(run.i);
    run.drain(); // every flow ended before packet `pub` was posted before PUB was
    if (run.i >= pub) break; // the end: nothing more will be published
    run.consume(pub);
    run.i = pub;
    Atomics.store(ctl, Ctl.CONS, pub);
    Atomics.notify(ctl, Ctl.CONS);
  }
  const e = run.end;
  if (e === null) throw new Error('analyze worker: end of run without its end message');
  if (e.packets !== run.i) throw new Error(`analyze worker: ${run.i} packets in the ring, ${e.packets} sent`);
  run.deliver(Infinity);
  run.side.finish(run.lastTsUs);
  const flows = run.flowSide.finish();
  const r = finishRun({
    command: c.command,
    sensor: c.sensor,
    inputs: e.inputs,
    warnings: e.warnings,
    flows: e.flows,
    traffic: TrafficCounters.fromData(e.traffic),
    alerts: run.side.alerts.values(),
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
  codeCacheCheckpoint();
  port.postMessage(msg);
});

/**
 * In the build's sample run that makes this bundle's code cache (scripts/code-cache.js), writes
 * it now that a run compiled the worker's functions: the process ends without waiting for an
 * idle worker, so its exit handlers may never run.
 */
function codeCacheCheckpoint(): void {
  const write = (globalThis as Record<symbol, unknown>)[Symbol.for('netsentry.codeCache.checkpoint')];
  if (typeof write === 'function') write();
}
