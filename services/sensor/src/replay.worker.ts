/**
 * Replay worker: reads and decodes a capture file and builds partitioned packet batches. It runs
 * in a worker thread because the reader calls back synchronously: pacing (realtime / factor) and
 * backpressure (the broker is slower than the disk) are done by blocking THIS thread with
 * Atomics.wait, while the main thread keeps sending to Kafka.
 *
 * Shared Int32Array slots: [0] KiB of batches posted and not yet acknowledged by the broker
 * (main thread subtracts on ack and notifies), [1] stop flag, [2] sleep slot.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readCaptureFile, type PacketRecord } from '@netsentry/packets';
import { PacketBatcher, type OutBatch } from './packets.batcher';

export interface ReplayWorkerData {
  file: string;
  parts: number;
  batchPackets: number;
  batchFormat: 1 | 2;
  batchDelayMs: number;
  pace: 'max' | 'realtime' | number;
  maxBufferedKiB: number;
  shared: SharedArrayBuffer;
}

export type ReplayWorkerMessage =
  | { type: 'batch'; batch: OutBatch }
  | { type: 'progress'; frames: number; packets: number }
  | { type: 'done'; frames: number; packets: number; malformed: number; unsupported: number; error?: { code: string; message: string } }
  | { type: 'fatal'; message: string };

async function main(): Promise<void> {
  const d = workerData as ReplayWorkerData;
  const port = parentPort!;
  const sh = new Int32Array(d.shared);
  const factor = d.pace === 'max' ? 0 : d.pace === 'realtime' ? 1 : d.pace;
  let frames = 0;
  let packets = 0;
  let lastFlush = performance.now();
  let lastProgress = lastFlush;
  let firstTs = -1;
  let startWall = 0;

  const post = (b: OutBatch): void => {
    const kib = b.value ? Math.ceil(b.value.byteLength / 1024) : 0;
    // Backpressure: wait (bounded slices, rechecking stop) while too much is unacknowledged.
    while (Atomics.load(sh, 0) + kib > d.maxBufferedKiB && Atomics.load(sh, 1) === 0) Atomics.wait(sh, 0, Atomics.load(sh, 0), 50);
    Atomics.add(sh, 0, kib);
    // Hand the batch's memory over instead of copying it (a built batch of 4 KiB or more owns
    // its ArrayBuffer; smaller ones sit in Node's shared pool and are copied).
    const v = b.value;
    const own = v !== null && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength;
    port.postMessage({ type: 'batch', batch: b } satisfies ReplayWorkerMessage, own ? [v.buffer as ArrayBuffer] : []);
  };
  const batcher = new PacketBatcher(d.parts, d.batchPackets, post, d.batchFormat);
  const tickEveryUs = 1_000_000;

  const onPacket = (rec: PacketRecord): void => {
    packets++;
    if (factor > 0) {
      if (firstTs < 0) {
        firstTs = rec.tsUs;
        startWall = performance.now();
      }
      const dueMs = (rec.tsUs - firstTs) / 1000 / factor;
      const aheadMs = dueMs - (performance.now() - startWall);
      if (aheadMs > 1) {
        // Send what we have before sleeping so nothing waits behind the pause.
        batcher.flushAll(tickEveryUs);
        lastFlush = performance.now();
        Atomics.wait(sh, 2, 0, aheadMs);
      }
    }
    batcher.add(rec);
    if ((packets & 1023) === 0) {
      const now = performance.now();
      if (now - lastFlush >= d.batchDelayMs) {
        batcher.flushAll(tickEveryUs);
        lastFlush = now;
      }
      if (now - lastProgress >= 250) {
        port.postMessage({ type: 'progress', frames, packets } satisfies ReplayWorkerMessage);
        lastProgress = now;
      }
    }
  };
  const ac = new AbortController();
  const stopPoll = setInterval(() => {
    if (Atomics.load(sh, 1) !== 0) ac.abort();
  }, 100);
  try {
    const summary = await readCaptureFile(d.file, onPacket, {
      onFrame: () => {
        frames++;
      },
      signal: ac.signal,
    });
    batcher.end();
    let malformed = 0;
    for (const v of Object.values(summary.decodeErrors ?? {})) malformed += v;
    port.postMessage({
      type: 'done',
      frames,
      packets,
      malformed,
      unsupported: summary.unsupported ?? 0,
      error: summary.error ? { code: summary.error.code, message: summary.error.message } : undefined,
    } satisfies ReplayWorkerMessage);
  } catch (e) {
    port.postMessage({ type: 'fatal', message: (e as Error).message } satisfies ReplayWorkerMessage);
  } finally {
    clearInterval(stopPoll);
  }
}

void main();
