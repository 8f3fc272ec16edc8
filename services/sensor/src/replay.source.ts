import { Worker } from 'node:worker_threads';
import { extname, resolve } from 'node:path';
import type { OutBatch } from './packets.batcher';
import type { ReplayResult, ReplayWorkerData, ReplayWorkerMessage } from './replay.worker';

export type { ReplayResult };

/**
 * Replays a capture file through the replay worker. `onBatch` is called on the main thread for
 * every batch (in order); `ack(kib)` must be called when the broker acknowledged it, which is
 * what lets the worker read on (bounded memory, nothing dropped in replay).
 */
export class ReplaySource {
  private worker: Worker | null = null;
  private readonly shared = new SharedArrayBuffer(16);
  private readonly sh = new Int32Array(this.shared);
  frames = 0;
  packets = 0;

  constructor(
    private readonly opts: Omit<ReplayWorkerData, 'shared'>,
    private readonly onBatch: (b: OutBatch) => void,
  ) {}

  /** Resolves when the whole file was read and every batch handed to `onBatch`. */
  run(): Promise<ReplayResult> {
    // replay.worker.js beside this file when compiled (dist/), else the TypeScript source.
    const ext = extname(__filename);
    const worker = new Worker(resolve(__dirname, `replay.worker${ext}`), {
      workerData: { ...this.opts, shared: this.shared } satisfies ReplayWorkerData,
      execArgv: ext === '.ts' ? ['-r', require.resolve('@swc-node/register')] : [],
    });
    this.worker = worker;
    return new Promise<ReplayResult>((res, rej) => {
      let done: ReplayResult | null = null;
      worker.on('message', (m: ReplayWorkerMessage) => {
        if (m.type === 'batch') this.onBatch(m.batch);
        else if (m.type === 'progress') {
          this.frames = m.frames;
          this.packets = m.packets;
        } else if (m.type === 'done') {
          this.frames = m.frames;
          this.packets = m.packets;
          done = m;
          void worker.terminate();
        } else if (m.type === 'fatal') rej(new Error(m.message));
      });
      worker.on('error', rej);
      worker.on('exit', () => {
        this.worker = null;
        if (done) res(done);
        else rej(new Error('replay worker exited before the end of the file'));
      });
    });
  }

  /** The broker acknowledged `kib` KiB of batches: let the reader go on. */
  ack(kib: number): void {
    Atomics.sub(this.sh, 0, kib);
    Atomics.notify(this.sh, 0);
  }

  /**
   * Asks the reader to stop at the next packet (shutdown): it flushes its partial batches, within
   * the stop grace, then marks the end of input on every partition; run() then resolves.
   */
  stop(): void {
    Atomics.store(this.sh, 1, 1);
    // A pacing sleep waits while slot 2 is 0: one that starts after this returns at once.
    Atomics.store(this.sh, 2, 1);
    Atomics.notify(this.sh, 0);
    Atomics.notify(this.sh, 2);
  }
}
