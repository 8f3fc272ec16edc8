import { closeSync } from 'node:fs';
import { extname, join } from 'node:path';
import { isMainThread, MessageChannel, Worker, workerData, type MessagePort } from 'node:worker_threads';
import type { AlertV1, FlowV1, Severity } from '@netsentry/contracts';
import type { Model, ModelJsonV1, RulesConfig } from '@netsentry/detection';
import { FLOW_FEATURE_NAMES } from '@netsentry/flows';
import type { CaptureSummary, PacketRecord } from '@netsentry/packets';
import { CliError, type CliErrorCode, type ExitCode } from './errors';
import { FlowWriter } from './output/records';
import { LineSink } from './output/sink';
import { TrafficCounters, type TrafficData } from './traffic';
import type { TrainedNote } from './flow-side';
import type { FlowSink, PacketSink } from './pipeline';
import type { RunSummary } from './analysis';

/**
 * `analyze` of capture files on two cores:
 *
 * - the main thread reads and decodes the files, runs the flow table (Pipeline with this class
 *   as its flowSink and packetSink), counts the traffic (summary, report) and writes flows.csv,
 *   and nothing that needs the detection
 *   library, the contracts' schemas or the report code, so it starts reading as soon as
 *   libs/packets and libs/flows are loaded;
 * - the analyze worker (analyze.worker.ts) runs the packet side (statistics, rules), the rest of the flow side (analysis, training, scoring, anomalies.csv) and the end
 *   of the run (summary.json, alerts.csv, report.html: run-end.ts).
 *
 * Packets cross in a shared ring (R.PACKETS packets, no message and no copy per batch): the header
 * fields the packet side reads (PacketRing below) and the flow table's "new flow" bit. Finished
 * flows are posted on a MessagePort that the worker reads synchronously (receiveMessageOnPort),
 * their features as one Float64Array per message, each flow with its position in the packet
 * stream: 2i for a flow the table ended in its watermark before packet i (FlowTable.advance),
 * 2i + 1 for one ended while adding packet i, 2n after the last packet (flush). The main thread
 * publishes how many packets it has written (PUB) only after posting every flow ended before;
 * the worker gives the rules each flow exactly where the one-thread pipeline does (before the
 * statistics' watermark, or between it and the packet), so the alerts, the training point and
 * every file are the same as on one thread, whatever the threads' timing.
 *
 * Starting a worker costs CPU (it loads the libraries again; from the repository it compiles them
 * with @swc-node/register), so an idle worker is kept (unref'd: it never holds the process open)
 * for the process's next run, and ended after IDLE_MS without one.
 */

/** Features per flow (FLOW_FEATURE_NAMES.length), read once: a re-exported binding is a getter per use. */
const names: readonly string[] = FLOW_FEATURE_NAMES;
const featureCount = names.length;
export { names as NAMES, featureCount as FEATURE_COUNT };

/** Slots of the shared control array. */
export const enum Ctl {
  /** Packets the main thread has published (their new-flow bytes written, their flows posted). */
  PUB = 0,
  /** Packets the worker has consumed (their ring bytes may be overwritten). */
  CONS = 1,
  /** 1 once the worker has exited. */
  EXITED = 2,
  /** 1 once the main thread has posted the end of the run. */
  DONE = 3,
  SLOTS = 4,
}
/** Ring sizes (a const enum: the values are inlined, where an exported const is read as `exports.X`). */
export const enum R {
  /** Packets in the ring: the main thread may run this many packets ahead of the worker. */
  PACKETS = 1 << 18,
  /** 32-bit words per packet in the ring (W). */
  WORDS = 16,
  /** Packets per publication (PUB, CONS): a power of two dividing PACKETS. */
  BLOCK = 4096,
}
const IDLE_MS = 30_000;
/** Waiting this long for the worker without it consuming a packet is a failure. */
const STALL_MS = 10 * 60_000;

export interface AnalyzeWorkerData {
  kind: 'netsentry-analyze';
  ctl: SharedArrayBuffer;
  /** R.PACKETS × R.WORDS u32: the header fields. */
  ring: SharedArrayBuffer;
  /** R.PACKETS × f64: the timestamps (µs). */
  ts: SharedArrayBuffer;
}

/**
 * One packet in the ring: what PacketSide reads of a PacketRecord (StatsBuilder.add and
 * TrafficCounters.add; a field they start to read must be added here) and the new-flow bit.
 */
export const enum W {
  WIRE_LEN = 0,
  L3 = 1,
  PROTO = 2,
  /** 4 words */
  SRC = 3,
  /** 4 words */
  DST = 7,
  /** srcPort | dstPort << 16 */
  PORTS = 11,
  TCP_FLAGS = 12,
  /** icmpType | arpOp << 8 | BIT_* << 24 */
  MISC = 13,
  ARP_SENDER = 14,
  ARP_TARGET = 15,
}
// Module locals, not exports: an exported const is read as `exports.X` in the CommonJS output.
const BIT_FRAGMENT = 1;
const BIT_FIRST_FRAGMENT = 2;
const BIT_NEW_FLOW = 4;

/** Writes `rec` (and its new-flow bit) as packet `i` of the ring. */
export function ringWrite(u: Uint32Array, ts: Float64Array, i: number, rec: PacketRecord, newFlow: boolean): void {
  const j = i & (R.PACKETS - 1);
  const o = j * R.WORDS;
  ts[j] = rec.tsUs;
  u[o + W.WIRE_LEN] = rec.wireLen;
  u[o + W.L3] = rec.l3;
  u[o + W.PROTO] = rec.proto;
  const s = rec.src, d = rec.dst;
  u[o + W.SRC] = s[0];
  u[o + W.SRC + 1] = s[1];
  u[o + W.SRC + 2] = s[2];
  u[o + W.SRC + 3] = s[3];
  u[o + W.DST] = d[0];
  u[o + W.DST + 1] = d[1];
  u[o + W.DST + 2] = d[2];
  u[o + W.DST + 3] = d[3];
  u[o + W.PORTS] = rec.srcPort | (rec.dstPort << 16);
  u[o + W.TCP_FLAGS] = rec.tcpFlags;
  u[o + W.MISC] =
    rec.icmpType | (rec.arpOp << 8) |
    (((rec.isFragment ? BIT_FRAGMENT : 0) | (rec.isFirstFragment ? BIT_FIRST_FRAGMENT : 0) | (newFlow ? BIT_NEW_FLOW : 0)) << 24);
  u[o + W.ARP_SENDER] = rec.arpSenderIp;
  u[o + W.ARP_TARGET] = rec.arpTargetIp;
}

/** Reads packet `i` of the ring into `rec` (the fields ringWrite wrote); returns its new-flow bit. */
export function ringRead(u: Uint32Array, ts: Float64Array, i: number, rec: PacketRecord): boolean {
  const j = i & (R.PACKETS - 1);
  const o = j * R.WORDS;
  rec.tsUs = ts[j];
  rec.wireLen = u[o + W.WIRE_LEN];
  rec.l3 = u[o + W.L3];
  rec.proto = u[o + W.PROTO];
  const s = rec.src, d = rec.dst;
  s[0] = u[o + W.SRC];
  s[1] = u[o + W.SRC + 1];
  s[2] = u[o + W.SRC + 2];
  s[3] = u[o + W.SRC + 3];
  d[0] = u[o + W.DST];
  d[1] = u[o + W.DST + 1];
  d[2] = u[o + W.DST + 2];
  d[3] = u[o + W.DST + 3];
  const ports = u[o + W.PORTS];
  rec.srcPort = ports & 0xffff;
  rec.dstPort = ports >>> 16;
  rec.tcpFlags = u[o + W.TCP_FLAGS];
  const misc = u[o + W.MISC];
  rec.icmpType = misc & 0xff;
  rec.arpOp = (misc >>> 8) & 0xffff;
  rec.isFragment = (misc & (BIT_FRAGMENT << 24)) !== 0;
  rec.isFirstFragment = (misc & (BIT_FIRST_FRAGMENT << 24)) !== 0;
  rec.arpSenderIp = u[o + W.ARP_SENDER];
  rec.arpTargetIp = u[o + W.ARP_TARGET];
  return (misc & (BIT_NEW_FLOW << 24)) !== 0;
}

/** One run's settings (sent with `start`). */
export interface AnalyzeRunConfig {
  command: 'analyze' | 'detect' | 'eval';
  /** flows.csv (written by the main thread) / anomalies.csv, opened (and closed) by the main thread. */
  flows: { fd: number; path: string } | null;
  anomalies: { fd: number; path: string } | null;
  /** Where summary.json, alerts.csv and report.html go. */
  out?: string;
  model: ModelJsonV1 | null;
  maxTrainFlows?: number;
  seed?: number;
  contamination?: number | 'auto';
  /** PacketSide settings; rules absent: the built-in defaults (loaded in the worker). */
  sensor: string;
  rules?: RulesConfig;
  statsIntervalS?: number;
  failOn?: Severity;
}

export type ToWorker = { t: 'start'; run: number; config: AnalyzeRunConfig; port: MessagePort };

/** On the run's port, in order. */
export type ToWorkerRun =
  /**
   * Flows and their positions in the packet stream (see above); each flow's `features` is null,
   * its values are in `features` (featureCount per flow, in FLOW_FEATURE_NAMES order).
   */
  | { t: 'flows'; flows: FlowV1[]; features: Float64Array; pos: number[] }
  /** The train-on-first-part point: after the flows posted before it. */
  | { t: 'train'; inputFraction: number }
  /** The end of input on the main thread: what the summary needs from it. */
  | { t: 'end'; packets: number; flows: number; inputs: CaptureSummary[]; warnings: string[]; traffic: TrafficData };

export interface AnalyzeWorkerResult {
  summary: RunSummary;
  alerts: AlertV1[];
  exitCode: ExitCode;
  trained: TrainedNote | null;
}

export type ToMain =
  | { t: 'done'; run: number; result: AnalyzeWorkerResult }
  | { t: 'error'; run: number; code: CliErrorCode | null; message: string; stack?: string };

// In the worker: whatever ends it (an exception while loading its modules included) is marked
// in the shared array, so the main thread never waits for it in vain.
if (!isMainThread && (workerData as AnalyzeWorkerData | undefined)?.kind === 'netsentry-analyze') {
  const ctl = new Int32Array((workerData as AnalyzeWorkerData).ctl);
  process.on('exit', () => {
    Atomics.store(ctl, Ctl.EXITED, 1);
    Atomics.notify(ctl, Ctl.CONS);
  });
}

/** A worker thread, its shared control array and ring; serves one run at a time. */
class Lane {
  readonly ctl = new Int32Array(new SharedArrayBuffer(Ctl.SLOTS * 4));
  readonly ring = new Uint32Array(new SharedArrayBuffer(R.PACKETS * R.WORDS * 4));
  readonly ts = new Float64Array(new SharedArrayBuffer(R.PACKETS * 8));
  readonly worker: Worker;
  dead = false;
  run: { id: number; resolve: (r: AnalyzeWorkerResult) => void; reject: (e: Error) => void } | null = null;
  idleTimer: NodeJS.Timeout | null = null;

  constructor() {
    // From the repository the sources are TypeScript (loaded with @swc-node/register, as
    // bin/netsentry.js does); the built package (dist/) has the compiled .js next to this file.
    const ext = extname(__filename);
    const data: AnalyzeWorkerData = {
      kind: 'netsentry-analyze',
      ctl: this.ctl.buffer as SharedArrayBuffer,
      ring: this.ring.buffer as SharedArrayBuffer,
      ts: this.ts.buffer as SharedArrayBuffer,
    };
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
    Atomics.store(this.ctl, Ctl.EXITED, 1);
    const r = this.run;
    this.run = null;
    r?.reject(e);
    const i = idle.indexOf(this);
    if (i >= 0) idle.splice(i, 1);
  }
}

const idle: Lane[] = [];
let runs = 0;

/** A run's settings as the main thread has them: the model as an object, not yet serialised. */
export type AnalyzeThreadOptions = Omit<AnalyzeRunConfig, 'model'> & { model?: Model };

/**
 * The main thread's end of the analyze worker for one run: the Pipeline's PacketSink (packets
 * into the ring) and FlowSink (flows.csv here; flows with their positions onto the run's port).
 */
export class AnalyzeThread implements FlowSink, PacketSink {
  private readonly lane: Lane;
  private readonly port: MessagePort;
  private readonly ring: Uint32Array;
  private readonly ts: Float64Array;
  private readonly ctl: Int32Array;
  private readonly result: Promise<AnalyzeWorkerResult>;
  private readonly flowsOut: FlowWriter | null;
  private readonly traffic = new TrafficCounters();
  /** Packets seen (the index of the next one). */
  private n = 0;
  /** 1 after the watermark of the coming packet (flows ended since are ended "while adding" it). */
  private phase = 0;
  /** Ring room is checked once per R.BLOCK packets: packets this block may still write. */
  private room = 0;
  private flows: FlowV1[] = [];
  private features = new Float64Array(64 * featureCount);
  private pos: number[] = [];
  /** The worker died or stalled: finish() reports it. */
  private lost = false;
  private released = false;

  constructor(private readonly opts: AnalyzeThreadOptions) {
    const lane = idle.pop() ?? new Lane();
    this.lane = lane;
    if (lane.idleTimer) clearTimeout(lane.idleTimer);
    lane.idleTimer = null;
    lane.worker.ref();
    this.ring = lane.ring;
    this.ts = lane.ts;
    this.ctl = lane.ctl;
    Atomics.store(this.ctl, Ctl.PUB, 0);
    Atomics.store(this.ctl, Ctl.CONS, 0);
    Atomics.store(this.ctl, Ctl.DONE, 0);
    this.flowsOut = opts.flows ? new FlowWriter(LineSink.fromFd(opts.flows.fd, opts.flows.path, false), 'csv', 'native') : null;
    const id = ++runs;
    this.result = new Promise<AnalyzeWorkerResult>((resolve, reject) => (lane.run = { id, resolve, reject }));
    this.result.catch(() => undefined); // awaited (and thrown) in finish()
    const ch = new MessageChannel();
    this.port = ch.port1;
    const start: ToWorker = {
      t: 'start',
      run: id,
      config: { ...opts, flows: null, model: opts.model ? opts.model.toJSON() : null },
      port: ch.port2,
    };
    if (lane.dead) this.lost = true;
    else lane.worker.postMessage(start, [ch.port2]);
  }

  /** Hot path: the packet's fields into the ring (no allocation; a check of the ring's room per R.BLOCK packets). */
  packet(rec: PacketRecord, newFlow: boolean): void {
    if (this.room === 0) this.nextBlock();
    ringWrite(this.ring, this.ts, this.n, rec, newFlow);
    this.traffic.add(rec);
    this.n++;
    this.room--;
    this.phase = 0;
  }

  /** The pipeline's one-second watermark has been applied to the flow table for the coming packet. */
  advance(): void {
    this.phase = 1;
  }

  flow(f: FlowV1): void {
    this.flowsOut?.write(f);
    const k = this.flows.length;
    if ((k + 1) * featureCount > this.features.length) {
      const grown = new Float64Array(this.features.length * 2);
      grown.set(this.features);
      this.features = grown;
    }
    const fv = f.features as Record<string, number>;
    const o = k * featureCount;
    for (let j = 0; j < featureCount; j++) this.features[o + j] = fv[names[j]];
    // Same keys in the same order, features carried apart (a structured clone of 88 named
    // properties per flow cost more than the rest of the hand-over).
    this.flows.push({ ...f, features: null as unknown as FlowV1['features'] });
    this.pos.push(2 * this.n + this.phase);
  }

  train(inputFraction: number): void {
    this.postFlows();
    this.send({ t: 'train', inputFraction });
  }

  /** After the pipeline's finish(): the worker's result once it has handled every packet and flow. */
  async finish(end: { flows: number; inputs: CaptureSummary[]; warnings: string[] }): Promise<AnalyzeWorkerResult> {
    this.flowsOut?.close();
    this.publish();
    this.send({ t: 'end', packets: this.n, ...end, traffic: this.traffic.toData() });
    Atomics.store(this.ctl, Ctl.DONE, 1);
    Atomics.notify(this.ctl, Ctl.PUB);
    if (this.lost && !this.lane.dead && Atomics.load(this.ctl, Ctl.EXITED) === 0) {
      await this.release(false);
      throw new Error(`analyze worker consumed no packet for ${STALL_MS / 1000} s`);
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

  /** Publishes the packets so far and makes room for the next R.BLOCK (waits while the worker is R.PACKETS behind). */
  private nextBlock(): void {
    this.publish();
    const ctl = this.ctl;
    let waited = 0;
    for (;;) {
      const cons = Atomics.load(ctl, Ctl.CONS);
      if (this.n + R.BLOCK - cons <= R.PACKETS) break;
      if (this.lost || Atomics.load(ctl, Ctl.EXITED) !== 0) {
        // Nothing will read the ring any more: keep going (finish() reports the loss).
        this.lost = true;
        break;
      }
      if (Atomics.wait(ctl, Ctl.CONS, cons, 1000) === 'timed-out') {
        if ((waited += 1000) >= STALL_MS) {
          this.lost = true;
          break;
        }
      } else waited = 0;
    }
    // Short blocks at first: this branch then runs (and has type feedback) before V8 optimises
    // the pipeline's push() with packet() inlined; once per R.BLOCK it deoptimised it twice.
    this.room = this.n < R.BLOCK ? 64 : R.BLOCK;
  }

  private publish(): void {
    this.postFlows();
    Atomics.store(this.ctl, Ctl.PUB, this.n);
    Atomics.notify(this.ctl, Ctl.PUB);
  }

  private postFlows(): void {
    const k = this.flows.length;
    if (k === 0) return;
    const features = this.features.slice(0, k * featureCount);
    const m: ToWorkerRun = { t: 'flows', flows: this.flows, features, pos: this.pos };
    this.flows = [];
    this.pos = [];
    if (this.lost) return;
    this.port.postMessage(m, [features.buffer as ArrayBuffer]);
  }

  /** Never throws (this runs inside the packet loop): a lost worker is reported by finish(). */
  private send(m: ToWorkerRun): void {
    if (this.lost) return;
    this.port.postMessage(m);
  }

  private async release(reusable: boolean): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.port.close();
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
    // flows.csv was written here, anomalies.csv by the worker (done with it once it sent its
    // result); neither sink closes its descriptor.
    for (const o of [this.opts.flows, this.opts.anomalies]) if (o) closeSync(o.fd);
  }
}
