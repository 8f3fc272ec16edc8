import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { scoreKernel, scoreKernelWide, type ScoringLayout } from './isolation-forest';

interface Job {
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Below this many rows per thread the hand-off costs more than it saves; score inline instead. */
const MIN_ROWS_PER_THREAD = 2048;

/**
 * Scores large matrices on every core: one worker thread per core, each holding a copy of the
 * forest, each scoring a contiguous share of the rows straight into one shared output buffer
 * (SharedArrayBuffer, no copies back). The kernel is the same function the main thread uses,
 * shipped as source text, so both paths give identical scores.
 */
export class ForestWorkerPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Job>();
  private nextId = 1;
  private closed = false;
  private failure: Error | null = null;

  private constructor(
    private readonly layout: ScoringLayout,
    threads: number,
  ) {
    const src = `
      const { parentPort, workerData: L } = require('node:worker_threads');
      const scoreKernel = (${scoreKernel.toString()});
      const scoreKernelWide = (${scoreKernelWide.toString()});
      const acc = new Float64Array(64);
      parentPort.on('message', (m) => {
        try {
          const x = new Float64Array(m.x, m.xOffset, m.xLength);
          const out = new Float64Array(m.out);
          if (L.packed) scoreKernel(L.roots, L.packed, L.thr, L.leaf, L.nTrees, L.heightLimit, L.k, L.nCols, x, m.from, m.to, out, acc);
          else scoreKernelWide(L.roots, L.feat, L.child, L.thr, L.leaf, L.nTrees, L.heightLimit, L.k, L.nCols, x, m.from, m.to, out, acc);
          parentPort.postMessage({ id: m.id, ok: true });
        } catch (e) {
          parentPort.postMessage({ id: m.id, ok: false, error: String(e && e.stack || e) });
        }
      });`;
    const data = {
      roots: layout.roots, feat: layout.feat, thr: layout.thr, child: layout.child, leaf: layout.leaf, packed: layout.packed,
      nTrees: layout.nTrees, heightLimit: layout.heightLimit, k: layout.k, nCols: layout.nCols,
    };
    this.workers = [];
    for (let i = 0; i < threads; i++) {
      const w = new Worker(src, { eval: true, workerData: data });
      w.on('message', (m: { id: number; ok: boolean; error?: string }) => {
        const job = this.pending.get(m.id);
        if (!job) return;
        this.pending.delete(m.id);
        if (m.ok) job.resolve();
        else job.reject(new Error(`forest worker failed: ${m.error}`));
      });
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`forest worker exited with code ${code}`));
      });
      this.workers.push(w);
    }
  }

  /** Starts `threads` workers (default: every core the process may use). */
  static create(layout: ScoringLayout, threads: number = availableParallelism()): ForestWorkerPool {
    return new ForestWorkerPool(layout, Math.max(1, Math.floor(threads)));
  }

  get threads(): number {
    return this.workers.length;
  }

  /**
   * Scores nRows rows of the row-major matrix `x`. If `x` is not already backed by a
   * SharedArrayBuffer it is copied into one once (pass a shared matrix to avoid the copy).
   */
  async score(x: Float64Array, nRows: number): Promise<Float64Array> {
    if (this.closed) throw new Error('ForestWorkerPool is closed');
    if (this.failure) throw this.failure;
    const nCols = this.layout.nCols;
    if (x.length < nRows * nCols) throw new RangeError('matrix shorter than nRows * nCols');
    const outBuf = new SharedArrayBuffer(nRows * 8);
    const out = new Float64Array(outBuf);
    if (nRows === 0) return out;
    let shared = x;
    if (!(x.buffer instanceof SharedArrayBuffer)) {
      shared = new Float64Array(new SharedArrayBuffer(nRows * nCols * 8));
      shared.set(x.subarray(0, nRows * nCols));
    }
    const parts = Math.max(1, Math.min(this.workers.length, Math.floor(nRows / MIN_ROWS_PER_THREAD)));
    const per = Math.ceil(nRows / parts);
    const jobs: Promise<void>[] = [];
    for (let p = 0; p < parts; p++) {
      const from = p * per;
      const to = Math.min(nRows, from + per);
      if (from >= to) break;
      const id = this.nextId++;
      jobs.push(
        new Promise<void>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          this.workers[p].postMessage({
            id, x: shared.buffer, xOffset: shared.byteOffset, xLength: nRows * nCols, out: outBuf, from, to,
          });
        }),
      );
    }
    await Promise.all(jobs);
    return out;
  }

  /** Stops every worker; pending jobs are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.pending.values()) job.reject(new Error('ForestWorkerPool closed'));
    this.pending.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const job of this.pending.values()) job.reject(e);
    this.pending.clear();
  }
}
