/**
 * Replay worker: reads and decodes a capture file and builds partitioned packet batches. It runs
 * in a worker thread because the reader calls back synchronously: pacing (realtime / factor) and
 * backpressure (the broker is slower than the disk) are done by blocking THIS thread with
 * Atomics.wait, while the main thread keeps sending to Kafka.
 *
 * Shared Int32Array slots: [0] KiB of batches posted and not yet acknowledged by the broker
 * (main thread subtracts on ack and notifies), [1] stop flag, [2] sleep slot (0 while running;
 * the stop sets it to 1, so that no pacing sleep starts after a stop).
 *
 * Stop (graceful shutdown): reading stops at the next packet; the partial batches are still
 * flushed and every partition gets its end-of-input mark (`eos`) after them, as at the end of the
 * file. The buffer bound still holds: a batch that finds no room within `stopGraceMs` of the
 * stop is dropped and counted (`dropped`), never posted past the bound.
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
  /** After a stop, how long a batch may wait for room before it is dropped, ms. */
  stopGraceMs: number;
  shared: SharedArrayBuffer;
}

/** What a replay read, as the worker reports it at the end. */
export interface ReplayResult {
  frames: number;
  packets: number;
  malformed: number;
  unsupported: number;
  /** The read was stopped (stop()) before the end of the file. */
  stopped: boolean;
  /** Packets read and dropped after the stop because the broker took nothing within the grace. */
  dropped: number;
  error?: { code: string; message: string };
}

export type ReplayWorkerMessage =
  | { type: 'batch'; batch: OutBatch }
  | { type: 'progress'; frames: number; packets: number }
  | ({ type: 'done' } & ReplayResult)
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

  let dropped = 0;
  let stopDeadline = -1;
  const stopping = (): boolean => Atomics.load(sh, 1) !== 0;
  const post = (b: OutBatch): void => {
    const kib = b.value ? Math.ceil(b.value.byteLength / 1024) : 0;
    // Backpressure: wait (bounded slices, rechecking stop) while too much is unacknowledged. An
    // empty buffer takes any batch: one larger than the whole limit would otherwise wait for ever.
    for (let used = Atomics.load(sh, 0); used > 0 && used + kib > d.maxBufferedKiB; used = Atomics.load(sh, 0)) {
      let slice = 50;
      if (stopping()) {
        if (stopDeadline < 0) stopDeadline = performance.now() + d.stopGraceMs;
        slice = Math.min(slice, stopDeadline - performance.now());
        if (slice <= 0) {
          dropped += b.packets;
          return;
        }
      }
      Atomics.wait(sh, 0, Atomics.load(sh, 0), slice);
    }
    Atomics.add(sh, 0, kib);
    // Hand the batch's memory over instead of copying it (a built batch of 4 KiB or more owns
    // its ArrayBuffer; smaller ones sit in Node's shared pool and are copied).
    const v = b.value;
    const own = v !== null && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength;
    port.postMessage({ type: 'batch', batch: b } satisfies ReplayWorkerMessage, own ? [v.buffer as ArrayBuffer] : []);
  };
  const batcher = new PacketBatcher(d.parts, d.batchPackets, post, d.batchFormat);
  const tickEveryUs = 1_000_000;

  const ac = new AbortController();
  // Stop reading: the reader only checks its signal between chunks, so the rest of this chunk's
  // packets are skipped here (one shared-memory load per packet).
  const stopRead = (): void => {
    if (!ac.signal.aborted) ac.abort();
  };
  const onPacket = (rec: PacketRecord): void => {
    if (stopping()) return stopRead();
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
        // That flush may have waited for room and seen a stop there: do not sleep until the next
        // packet's time (an hour of quiet in the capture was an hour's hang after SIGTERM).
        if (stopping()) return stopRead();
        Atomics.wait(sh, 2, 0, aheadMs);
        if (stopping()) return stopRead();
      }
    }
    packets++;
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
  // Also while no packet comes (a stretch of undecodable frames, a slow read).
  const stopPoll = setInterval(() => {
    if (stopping()) stopRead();
  }, 100);
  try {
    const summary = await readCaptureFile(d.file, onPacket, {
      onFrame: () => {
        if (!ac.signal.aborted) frames++; // the rest of the chunk after a stop is skipped, not replayed
      },
      signal: ac.signal,
    });
    // The end of input, stopped or not: the partial batches, then eos on every partition.
    batcher.end();
    let malformed = 0;
    for (const v of Object.values(summary.decodeErrors ?? {})) malformed += v;
    const stopped = ac.signal.aborted;
    // An abort is the stop asked for, not damage.
    const error = summary.error && !(stopped && summary.error.code === 'CAPTURE.ABORTED') ? summary.error : undefined;
    port.postMessage({
      type: 'done',
      frames,
      packets,
      malformed,
      unsupported: summary.unsupported ?? 0,
      stopped,
      dropped,
      error: error ? { code: error.code, message: error.message } : undefined,
    } satisfies ReplayWorkerMessage);
  } catch (e) {
    port.postMessage({ type: 'fatal', message: (e as Error).message } satisfies ReplayWorkerMessage);
  } finally {
    clearInterval(stopPoll);
  }
}

void main();
