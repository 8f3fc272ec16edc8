import type { Producer } from 'kafkajs';
import { envelopeHeaders, MAX_REQUEST_BYTES } from '@netsentry/messaging';
import type { OutBatch } from './packets.batcher';
import type { SensorCounters } from './sensor.counters';

/**
 * Requests in flight per partition: ONE. Concurrent send() calls for one partition were measured
 * to reorder messages (an end-of-input mark overtook packets and split flows), so each
 * partition's requests go strictly one after the other; partitions still send in parallel (up
 * to kafkajs's idempotent producer, which holds a lock per broker for a whole produce request, so
 * one broker gets them one at a time; a variant carrying every partition in one request was
 * measured no faster: docs/bench/pipeline.md §1).
 */
const WAVE = 1;
/** Batches in one request at most (one record batch), while the broker takes them. */
const MAX_PER_REQUEST = 16;

/**
 * The broker refuses the record batch for its size (over the topic's max.message.bytes, or
 * larger than a log segment). It never passes on a retry: the same request would be refused
 * for ever and hold up its partition (and a replay, which waits for room) for good.
 */
function tooLarge(e: unknown): boolean {
  const type = (e as { type?: unknown } | null)?.type;
  return type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE';
}

/** One line for the operator: the topic, kafkajs's error type when it has one, and its message (with the cause's). */
function describeSendError(topic: string, e: unknown): string {
  const err = e as { type?: unknown; message?: unknown; cause?: { message?: unknown } } | null;
  const type = typeof err?.type === 'string' ? `${err.type}: ` : '';
  const msg = typeof err?.message === 'string' ? err.message : String(e);
  const cause = typeof err?.cause?.message === 'string' && err.cause.message !== msg ? ` (${err.cause.message})` : '';
  return `cannot publish to ${topic}: ${type}${msg}${cause}; retrying with backoff (up to 5 s) until the broker takes it`;
}

/**
 * Sends packet batches with bounded buffering. One FIFO per partition and at most one send in
 * flight per partition keep each partition's order (watermarks must not overtake packets); a
 * failed send is retried with backoff until it goes through or the sensor stops, so a broker
 * outage pauses publishing and it resumes when the broker returns. When more than
 * `maxBufferedBytes` wait, `offer` refuses new batches and counts their packets as dropped
 * (live mode: the capture cannot wait); replay mode blocks its reader instead, so it never drops.
 *
 * A request the broker refuses for its size is sent again in smaller requests (several batches
 * make one record batch, which may exceed a topic's max.message.bytes while each would fit); a
 * single batch refused so is dropped and counted (`bufferDropped`, `refusedPackets`, `refusal`):
 * it can never be delivered, and retrying it held up its partition for good.
 */
export class PacketsProducer {
  private readonly queues: OutBatch[][] = [];
  private readonly busy: boolean[] = [];
  private buffered = 0;
  private stopping = false;
  private idleWaiters: (() => void)[] = [];
  private peak = 0;
  private wm = 0;
  /** Batches per request, per partition: lowered when the broker refuses a request for its size. */
  private readonly perRequest: number[] = [];
  private refused = 0;
  private firstRefusal: string | null = null;
  /** Called with the KiB of every batch the broker acknowledged (or refused for good). */
  onAck: (kib: number) => void = () => undefined;
  /** Called once, with `refusal`, when the broker first refuses a batch for its size. */
  onRefused: (why: string) => void = () => undefined;
  /**
   * Called when sends start failing (the first failure after a success, or ever), with the
   * error: they are retried with backoff until they pass, so this says once per outage why
   * nothing is published (an unreachable broker, a topic gone, an ACL refusing the sensor).
   */
  onFailing: (why: string) => void = () => undefined;
  /** Called when every partition publishes again after `onFailing`, with the number of failed sends in between. */
  onRecovered: (failedSends: number) => void = () => undefined;
  /** Per partition: its last send failed. */
  private readonly failing: boolean[] = [];
  /** Failed sends of the whole outage: from the first partition failing to the last one passing again. */
  private outageSends = 0;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly sensor: string,
    private readonly parts: number,
    private readonly maxBufferedBytes: number,
    private readonly counters: SensorCounters,
  ) {
    for (let p = 0; p < parts; p++) {
      this.queues.push([]);
      this.busy.push(false);
      this.perRequest.push(MAX_PER_REQUEST);
      this.failing.push(false);
    }
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  /** The most bytes ever waiting for the broker at once. */
  get bufferedPeakBytes(): number {
    return this.peak;
  }

  /**
   * Sensor clock of what the broker has taken (µs; 0 before the first ack): the newest `wmUs` of
   * an acknowledged message. Replay heartbeats report it: the batcher is in the worker thread,
   * and the clock travels with every batch it hands over, at no cost per packet.
   */
  get publishedWmUs(): number {
    return this.wm;
  }

  /** Packets in batches the broker refused for their size (dropped: they can never be delivered). */
  get refusedPackets(): number {
    return this.refused;
  }

  /** Why the first of those was refused, for the operator; null when none was. */
  get refusal(): string | null {
    return this.firstRefusal;
  }

  /** True once a drain timed out: failed sends are no longer retried. */
  get gaveUp(): boolean {
    return this.stopping;
  }

  /** Queues a batch; false (and counted as dropped) when the buffer is full and `mayDrop`. */
  offer(b: OutBatch, mayDrop: boolean): boolean {
    const size = b.value ? b.value.byteLength : 0;
    // An empty buffer takes any batch: one larger than the whole limit would otherwise never fit.
    if (mayDrop && b.kind === 'batch' && this.buffered > 0 && this.buffered + size > this.maxBufferedBytes) {
      this.counters.bufferDropped += b.packets;
      return false;
    }
    this.buffered += size;
    if (this.buffered > this.peak) this.peak = this.buffered;
    this.queues[b.partition].push(b);
    this.pump(b.partition);
    return true;
  }

  private pump(p: number): void {
    if (this.busy[p] || this.queues[p].length === 0) return;
    this.busy[p] = true;
    void this.sendLoop(p);
  }

  private async sendLoop(p: number): Promise<void> {
    const q = this.queues[p];
    let backoff = 100;
    while (q.length > 0) {
      // Up to WAVE requests for this partition (see WAVE), each one record batch under the
      // broker's max.message.bytes.
      const reqs: OutBatch[][] = [];
      let i = 0;
      while (i < q.length && reqs.length < WAVE) {
        const req: OutBatch[] = [];
        let bytes0 = 0;
        while (i < q.length && req.length < this.perRequest[p]) {
          const sz = q[i].value ? q[i].value!.byteLength : 0;
          if (req.length > 0 && bytes0 + sz > MAX_REQUEST_BYTES) break;
          bytes0 += sz;
          req.push(q[i++]);
        }
        reqs.push(req);
      }
      try {
        await Promise.all(
          reqs.map((take) =>
            this.producer.send({
              topic: this.topic,
              acks: -1,
              messages: take.map((b) => ({
                partition: p,
                key: String(p),
                value: b.value ? Buffer.from(b.value.buffer, b.value.byteOffset, b.value.byteLength) : null,
                headers: envelopeHeaders({ sensor: this.sensor, kind: b.kind, wmUs: b.wmUs, parts: this.parts }),
              })),
            }),
          ),
        );
        const take = q.splice(0, i);
        backoff = 100;
        if (this.failing[p]) {
          this.failing[p] = false;
          if (!this.failing.includes(true)) {
            const n = this.outageSends;
            this.outageSends = 0;
            this.onRecovered(n);
          }
        }
        let bytes = 0;
        for (const b of take) {
          const size = b.value ? b.value.byteLength : 0;
          bytes += size;
          this.counters.published += b.packets;
          if (b.wmUs > this.wm) this.wm = b.wmUs;
          if (b.kind === 'batch') this.counters.batchesPublished++;
          this.onAck(Math.ceil(size / 1024));
        }
        this.buffered -= bytes;
      } catch (e) {
        this.counters.publishErrors++;
        // Refused for its size: smaller requests first; a batch refused on its own is dropped.
        if (tooLarge(e) && i > 1) {
          this.perRequest[p] = Math.max(1, Math.floor(i / 2));
          continue;
        }
        if (tooLarge(e) && q[0].kind === 'batch') {
          this.refuse(q.shift()!, e as Error);
          continue;
        }
        if (this.stopping) break;
        // One message per outage: when the first partition starts failing, not per partition or retry.
        if (this.outageSends++ === 0) this.onFailing(describeSendError(this.topic, e));
        this.failing[p] = true;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
    this.busy[p] = false;
    if (!this.busy.some(Boolean)) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Drops a batch the broker refused for its size: counted, and its room freed (a replay reads on). */
  private refuse(b: OutBatch, e: Error): void {
    const size = b.value ? b.value.byteLength : 0;
    this.buffered -= size;
    this.refused += b.packets;
    this.counters.bufferDropped += b.packets;
    this.onAck(Math.ceil(size / 1024));
    if (this.firstRefusal !== null) return;
    this.firstRefusal = `${this.topic} refused a batch of ${b.packets} packets (${size} bytes) for its size (${e.message}): lower SENSOR_BATCH_PACKETS or raise the topic's max.message.bytes`;
    this.onRefused(this.firstRefusal);
  }

  /**
   * Resolves true when everything queued was sent; false after `timeoutMs` (then gives up
   * retrying). An abort of `cut` ends the wait early (false) without giving up: the caller
   * drains again with a shorter bound.
   */
  async drain(timeoutMs: number, cut?: AbortSignal): Promise<boolean> {
    const idle = (): boolean => !this.busy.some(Boolean) && this.queues.every((q) => q.length === 0);
    if (idle()) return true;
    if (cut?.aborted) return false;
    const done = new Promise<void>((r) => this.idleWaiters.push(r));
    let timer: NodeJS.Timeout | undefined;
    let onCut: (() => void) | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)));
    const aborted = new Promise<void>((r) => cut?.addEventListener('abort', (onCut = () => r())));
    await Promise.race([done, timeout, aborted]);
    clearTimeout(timer);
    if (onCut) cut?.removeEventListener('abort', onCut);
    if (idle()) return true;
    if (!cut?.aborted) this.stopping = true;
    return false;
  }
}
