// First: analyze.thread marks this worker as exited if anything below fails to load.
import { CONSUMED, type AnalyzeWorkerData, type ToMain, type ToWorker } from './analyze.thread';
import { parentPort, workerData } from 'node:worker_threads';
import type { FlowV1 } from '@netsentry/contracts';
import { Model } from '@netsentry/detection';
import { CliError } from './errors';
import { FlowSide } from './flow-side';
import { LineSink } from './output/sink';

/**
 * The analyze worker: for each run (`start` … `end`), FlowSide (flows.csv, analysis, training,
 * scoring, anomalies.csv) over the flows the main thread's pipeline finishes, in the order they
 * were sent. Every message is counted in the shared array once handled, which is what bounds
 * the main thread's lead. A failed run reports its error once and ignores the rest of its messages.
 */
const shared = new Int32Array((workerData as AnalyzeWorkerData).shared);
const port = parentPort!;
let run = 0;
let side: FlowSide | null = null;

function handle(m: ToWorker): void {
  if (m.t === 'start') {
    run = m.run;
    side = null;
    const c = m.config;
    side = new FlowSide({
      // The main thread opened these descriptors and closes them after this run.
      flowsOut: c.flows ? LineSink.fromFd(c.flows.fd, c.flows.path, false) : null,
      anomaliesOut: c.anomalies ? LineSink.fromFd(c.anomalies.fd, c.anomalies.path, false) : null,
      model: c.model ? Model.fromJSON(c.model) : undefined,
      maxTrainFlows: c.maxTrainFlows,
      seed: c.seed,
      contamination: c.contamination,
    });
    return;
  }
  if (side === null) return; // this run failed already
  if (m.t === 'flows') {
    const flows: FlowV1[] = m.flows;
    for (let i = 0; i < flows.length; i++) side.flow(flows[i]);
  } else if (m.t === 'train') side.train(m.inputFraction);
  else {
    const done: ToMain = { t: 'done', run, result: side.finish() };
    side = null;
    port.postMessage(done);
  }
}

port.on('message', (m: ToWorker) => {
  try {
    handle(m);
  } catch (e) {
    side = null;
    const err = e as Error;
    const msg: ToMain = { t: 'error', run, code: e instanceof CliError ? e.code : null, message: err?.message ?? String(e), stack: err?.stack };
    port.postMessage(msg);
  }
  Atomics.add(shared, CONSUMED, 1);
  Atomics.notify(shared, CONSUMED);
});
