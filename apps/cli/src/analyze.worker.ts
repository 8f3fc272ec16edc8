// First: analyze.thread marks this worker as exited if anything below fails to load.
import { CONSUMED, type AnalyzeWorkerData, type ToMain, type ToWorker } from './analyze.thread';
import { parentPort, workerData } from 'node:worker_threads';
import type { FlowV1 } from '@netsentry/contracts';
import { Model } from '@netsentry/detection';
import { PacketBatchDecoder, PacketRecord } from '@netsentry/packets';
import { CliError } from './errors';
import { FlowSide } from './flow-side';
import { LineSink } from './output/sink';
import { PacketSide, PacketStream } from './packet-side';

/**
 * The analyze worker: for each run (`start` … `end`), FlowSide (flows.csv, analysis, training,
 * scoring, anomalies.csv) over the flows the main thread's pipeline finishes, and PacketSide
 * (statistics, rules, traffic counters) over its packets, each in the order sent. Every message
 * is counted in the shared array once handled, which is what bounds the main thread's lead. A
 * failed run reports its error once and ignores the rest of its messages.
 */
const shared = new Int32Array((workerData as AnalyzeWorkerData).shared);
const port = parentPort!;
let run = 0;
let side: FlowSide | null = null;
let packets: PacketStream | null = null;
const rec = new PacketRecord();
const decoder = new PacketBatchDecoder();

function handle(m: ToWorker): void {
  if (m.t === 'start') {
    run = m.run;
    side = null;
    packets = null;
    const c = m.config;
    packets = new PacketStream(new PacketSide({ sensor: c.sensor, rules: c.rules, statsIntervalS: c.statsIntervalS }));
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
  if (side === null || packets === null) return; // this run failed already
  if (m.t === 'packets') {
    // Our own batches; checked anyway (it costs one pass) rather than trusted.
    const r = decoder.decode(new Uint8Array(m.batch));
    if (!r.ok) throw new Error(`packet batch refused: ${r.code}: ${r.reason}`);
    const b = r.batch;
    const nf = m.newFlow;
    if (nf.length !== b.count) throw new Error(`packet batch of ${b.count} packets with ${nf.length} new-flow bits`);
    const ps = packets;
    for (let i = 0; i < b.count; i++) {
      b.read(i, rec);
      ps.packet(rec, nf[i] === 1);
    }
  } else if (m.t === 'flows') {
    const flows: FlowV1[] = m.flows;
    const ps = packets.side;
    for (let i = 0; i < flows.length; i++) {
      ps.onFlow(flows[i]);
      side.flow(flows[i]);
    }
  } else if (m.t === 'train') side.train(m.inputFraction);
  else {
    packets.finish();
    const done: ToMain = { t: 'done', run, result: { packets: packets.side.result(), flows: side.finish() } };
    side = null;
    packets = null;
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
