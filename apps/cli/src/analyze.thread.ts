import { closeSync } from 'node:fs';
import { extname, join } from 'node:path';
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import type { FlowV1 } from '@netsentry/contracts';
import type { Model, ModelJsonV1, RulesConfig } from '@netsentry/detection';
import { PacketBatchBuilder, type PacketRecord } from '@netsentry/packets';
import { CliError, type CliErrorCode } from './errors';
import type { FlowSideResult } from './flow-side';
import type { PacketSideResult } from './packet-side';
import type { FlowSink, PacketSink } from './pipeline';

/**
 * `analyze` on two cores: the main thread reads, decodes and runs the flow table (Pipeline with
 * a flowSink and a packetSink). Two streams go, in order, to the analyze worker
 * (analyze.worker.ts): the finished flows in batches, for FlowSide (flows.csv, analysis,
 * training, scoring, anomalies.csv), and every packet's header fields with its flow table "new
 * flow" bit, as packet batches (struct of arrays, the buffers transferred), for PacketSide
 * (statistics, rules, traffic counters). Each side sees exactly what it sees in the
 * single-threaded pipeline, in the same order, so the files are the same whatever the timing.
 *
 * The main thread may run at most MAX_AHEAD messages ahead of the worker (it waits on a shared
 * counter), so memory stays bounded when flows come faster than they are scored and written.
 *
 * Starting a worker costs about as much CPU as a quarter of a million packets (it loads the
 * libraries again, and from the repository compiles them with @swc-node/register), so an idle
 * worker is kept (unref'd: it never holds the process open) for the process's next run, and
 * ended after IDLE_MS without one.
 */

/** Shared Int32Array slots: messages the worker has handled; 1 once the worker has exited. */
export const CONSUMED = 0;
export const EXITED = 1;
const FLOWS_PER_MESSAGE = 256;
const PACKETS_PER_MESSAGE = 4096;
const MAX_AHEAD = 64;
const IDLE_MS = 30_000;
/** Waiting this long for the worker without it handling a single message is a failure. */
const STALL_MS = 10 * 60_000;

export interface AnalyzeWorkerData {
  kind: 'netsentry-analyze';
  shared: SharedArrayBuffer;
}

/** One run's settings (sent with `start`). */
export interface FlowSideRunConfig {
  /** flows.csv / anomalies.csv, opened (and closed) by the main thread. */
  flows: { fd: number; path: string } | null;
  anomalies: { fd: number; path: string } | null;
  model: ModelJsonV1 | null;
  maxTrainFlows?: number;
  seed?: number;
  contamination?: number | 'auto';
  /** PacketSide settings. */
  sensor: string;
  rules: RulesConfig;
  statsIntervalS?: number;
}

export type ToWorker =
  | { t: 'start'; run: number; config: FlowSideRunConfig }
  | { t: 'flows'; flows: FlowV1[] }
  /** A packet batch (libs/packets batch format) and one byte per packet: 1 = opened a flow. */
  | { t: 'packets'; batch: ArrayBuffer; newFlow: Uint8Array }
  | { t: 'train'; inputFraction: number }
  | { t: 'end' };
export interface AnalyzeWorkerResult {
  flows: FlowSideResult;
  packets: PacketSideResult;
}

export type ToMain =
  | { t: 'done'; run: number; result: AnalyzeWorkerResult }
  | { t: 'error'; run: number; code: CliErrorCode | null; message: string; stack?: string };

// In the worker: whatever ends it (an exception while loading its modules included) is marked
// in the shared array, so the main thread never waits for it in vain.
if (!isMainThread && (workerData as AnalyzeWorkerData | undefined)?.kind === 'netsentry-analyze') {
  const sh = new Int32Array((workerData as AnalyzeWorkerData).shared);
  process.on('exit', () => {
    Atomics.store(sh, EXITED, 1);
    Atomics.notify(sh, CONSUMED);
  });
}

/** A worker thread and its message accounting; serves one run at a time. */
class Lane {
  readonly sh = new Int32Array(new SharedArrayBuffer(8));
  readonly worker: Worker;
  /** Messages posted over the worker's life (compared with the CONSUMED slot). */
  sent = 0;
  dead = false;
  run: { id: number; resolve: (r: AnalyzeWorkerResult) => void; reject: (e: Error) => void } | null = null;
  idleTimer: NodeJS.Timeout | null = null;

  constructor() {
    // From the repository the sources are TypeScript (loaded with @swc-node/register, as
    // bin/netsentry.js does); the built package (dist/) has the compiled .js next to this file.
    const ext = extname(__filename);
    const data: AnalyzeWorkerData = { kind: 'netsentry-analyze', shared: this.sh.buffer as SharedArrayBuffer };
    this.worker = new Worker(join(__dirname, `analyze.worker${ext}`), {
      workerData: data,
      execArgv: ext === '.ts' ? ['-r', require.resolve('@swc-node/register')] : [],
    });
    this.worker.on('message', (m: ToMain) => {
      const r = this.run;
      if (r === null || m.run !== r.id) return;
      this.run = null;
      if (m.t === 'done') r.resolve(m.result);
      else r.reject(m.code ? new CliError(m.code, m.message) : Object.assign(new Error(`analyze worker: ${m.message}`), { stack: m.stack }));
    });
    this.worker.on('error', (e) => this.died(new Error(`analyze worker: ${e.message}`)));
    this.worker.on('exit', (code) => this.died(new Error(`analyze worker exited (code ${code}) before its result`)));
  }

  private died(e: Error): void {
    this.dead = true;
    Atomics.store(this.sh, EXITED, 1);
    const r = this.run;
    this.run = null;
    r?.reject(e);
    const i = idle.indexOf(this);
    if (i >= 0) idle.splice(i, 1);
  }

  /** Posts one message, first waiting while the worker is MAX_AHEAD messages behind. False if it could not. */
  post(m: ToWorker, transfer?: ArrayBuffer[]): boolean {
    const sh = this.sh;
    if (this.dead || Atomics.load(sh, EXITED) !== 0) return false;
    let waited = 0;
    for (;;) {
      const consumed = Atomics.load(sh, CONSUMED);
      if (this.sent - consumed < MAX_AHEAD) break;
      if (Atomics.load(sh, EXITED) !== 0) return false;
      if (Atomics.wait(sh, CONSUMED, consumed, 1000) === 'timed-out') {
        if ((waited += 1000) >= STALL_MS) return false;
      } else waited = 0;
    }
    this.sent++;
    this.worker.postMessage(m, transfer);
    return true;
  }
}

const idle: Lane[] = [];
let runs = 0;

/** A run's settings as the main thread has them: the model as an object, not yet serialised. */
export type AnalyzeThreadOptions = Omit<FlowSideRunConfig, 'model'> & { model?: Model };

/**
 * The main thread's end of the analyze worker for one run: a FlowSink that posts flows in
 * batches and a PacketSink that posts packet batches.
 */
export class AnalyzeThread implements FlowSink, PacketSink {
  private batch: FlowV1[] = [];
  private readonly packets = new PacketBatchBuilder(PACKETS_PER_MESSAGE);
  private newFlow = new Uint8Array(PACKETS_PER_MESSAGE);
  private readonly lane: Lane;
  private readonly result: Promise<AnalyzeWorkerResult>;
  /** The worker could not be given a message (it died or stalled): finish() reports it. */
  private lost = false;
  private released = false;

  constructor(private readonly opts: AnalyzeThreadOptions) {
    const lane = idle.pop() ?? new Lane();
    this.lane = lane;
    if (lane.idleTimer) clearTimeout(lane.idleTimer);
    lane.idleTimer = null;
    lane.worker.ref();
    const id = ++runs;
    this.result = new Promise<AnalyzeWorkerResult>((resolve, reject) => (lane.run = { id, resolve, reject }));
    this.result.catch(() => undefined); // awaited (and thrown) in finish()
    this.post({
      t: 'start',
      run: id,
      config: { ...opts, model: opts.model ? opts.model.toJSON() : null },
    });
  }

  /** Hot path: copies the header fields into the current batch (no allocation but per batch). */
  packet(rec: PacketRecord, newFlow: boolean): void {
    const i = this.packets.size;
    this.packets.add(rec);
    this.newFlow[i] = newFlow ? 1 : 0;
    if (i + 1 >= PACKETS_PER_MESSAGE) this.sendPackets();
  }

  flow(f: FlowV1): void {
    this.batch.push(f);
    if (this.batch.length >= FLOWS_PER_MESSAGE) this.sendBatch();
  }

  train(inputFraction: number): void {
    this.sendBatch();
    this.post({ t: 'train', inputFraction });
  }

  /** After the pipeline's finish(): the worker's figures once it has handled every flow and packet. */
  async finish(): Promise<AnalyzeWorkerResult> {
    this.sendPackets();
    this.sendBatch();
    this.post({ t: 'end' });
    const lane = this.lane;
    if (this.lost && !lane.dead && Atomics.load(lane.sh, EXITED) === 0) {
      await this.release(false);
      throw new Error(`analyze worker handled no message for ${STALL_MS / 1000} s`);
    }
    let ok = false;
    try {
      const r = await this.result;
      ok = true;
      return r;
    } finally {
      await this.release(ok);
    }
  }

  /** The run failed on the main thread: stop the worker (not reused) and close the files. */
  async abort(): Promise<void> {
    await this.release(false);
  }

  private async release(reusable: boolean): Promise<void> {
    if (this.released) return;
    this.released = true;
    const lane = this.lane;
    lane.run = null;
    if (reusable && !lane.dead) {
      lane.worker.unref();
      lane.idleTimer = setTimeout(() => void lane.worker.terminate(), IDLE_MS);
      lane.idleTimer.unref();
      idle.push(lane);
    } else {
      lane.dead = true;
      // Stopped before its files are closed: it must not write to a descriptor number reused since.
      await lane.worker.terminate();
    }
    // The worker wrote through these descriptors (done with them once it sent its result); its sinks do not close them.
    for (const o of [this.opts.flows, this.opts.anomalies]) if (o) closeSync(o.fd);
  }

  private sendPackets(): void {
    const n = this.packets.size;
    if (n === 0) return;
    // Version 1: plain columns (copies only); version 2's column scan saves bytes on Kafka, not here.
    const b = this.packets.build(1);
    this.packets.reset();
    // build() returns a Buffer of its own memory (larger than the pool's slices): transfer it.
    const ab = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? (b.buffer as ArrayBuffer) : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    const newFlow = n === PACKETS_PER_MESSAGE ? this.newFlow : this.newFlow.slice(0, n);
    this.newFlow = new Uint8Array(PACKETS_PER_MESSAGE);
    this.post({ t: 'packets', batch: ab as ArrayBuffer, newFlow }, [ab as ArrayBuffer, newFlow.buffer as ArrayBuffer]);
  }

  private sendBatch(): void {
    if (this.batch.length === 0) return;
    const flows = this.batch;
    this.batch = [];
    this.post({ t: 'flows', flows });
  }

  /** Never throws (this runs inside the packet loop): a lost worker is reported by finish(). */
  private post(m: ToWorker, transfer?: ArrayBuffer[]): void {
    if (this.lost) return;
    if (!this.lane.post(m, transfer)) this.lost = true;
  }
}
