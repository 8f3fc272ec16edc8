import type { Message, Producer } from 'kafkajs';
import { envelopeHeaders } from '@netsentry/messaging';
import type { OutBatch } from './packets.batcher';
import type { SensorCounters } from './sensor.counters';

/** Per partition and request: at most this many batches and bytes (one record batch, under max.message.bytes). */
const MAX_BATCHES = 16;
const MAX_PARTITION_BYTES = 768 * 1024;

/**
 * Sends packet batches with bounded buffering. One FIFO per partition; ONE produce request in
 * flight at a time, carrying what waits in every partition's FIFO (up to MAX_BATCHES /
 * MAX_PARTITION_BYTES each). One request at a time keeps each partition's order (watermarks must
 * not overtake packets: concurrent requests for one partition were measured to reorder an
 * end-of-input mark ahead of packets), and costs no parallelism: kafkajs's idempotent producer
 * holds a lock per broker for the whole of a produce request anyway. Carrying every partition
 * in one request takes ~4× fewer round trips than a request per partition, which matters when
 * the broker shares a busy machine. A failed send is retried with backoff until it goes
 * through or the sensor stops, so a broker outage pauses publishing and it resumes when the
 * broker returns. When more than `maxBufferedBytes` wait, `offer` refuses new batches and
 * counts their packets as dropped (live mode: the capture cannot wait); replay mode blocks its
 * reader instead, so it never drops.
 */
export class PacketsProducer {
  private readonly queues: OutBatch[][] = [];
  private busy = false;
  private buffered = 0;
  private stopping = false;
  private idleWaiters: (() => void)[] = [];
  /** Called with the KiB of every batch the broker acknowledged. */
  onAck: (kib: number) => void = () => undefined;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly sensor: string,
    private readonly parts: number,
    private readonly maxBufferedBytes: number,
    private readonly counters: SensorCounters,
  ) {
    for (let p = 0; p < parts; p++) this.queues.push([]);
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Queues a batch; false (and counted as dropped) when the buffer is full and `mayDrop`. */
  offer(b: OutBatch, mayDrop: boolean): boolean {
    const size = b.value ? b.value.byteLength : 0;
    if (mayDrop && b.kind === 'batch' && this.buffered + size > this.maxBufferedBytes) {
      this.counters.bufferDropped += b.packets;
      return false;
    }
    this.buffered += size;
    this.queues[b.partition].push(b);
    if (!this.busy) {
      this.busy = true;
      void this.sendLoop();
    }
    return true;
  }

  private async sendLoop(): Promise<void> {
    const qs = this.queues;
    const take = new Array<number>(qs.length).fill(0);
    let backoff = 100;
    for (;;) {
      // What goes in this request: from each partition's head, in order, within the bounds.
      const messages: Message[] = [];
      for (let p = 0; p < qs.length; p++) {
        const q = qs[p];
        let i = 0;
        let bytes = 0;
        while (i < q.length && i < MAX_BATCHES) {
          const sz = q[i].value ? q[i].value!.byteLength : 0;
          if (i > 0 && bytes + sz > MAX_PARTITION_BYTES) break;
          bytes += sz;
          const b = q[i++];
          messages.push({
            partition: p,
            key: String(p),
            value: b.value ? Buffer.from(b.value.buffer, b.value.byteOffset, b.value.byteLength) : null,
            headers: envelopeHeaders({ sensor: this.sensor, kind: b.kind, wmUs: b.wmUs, parts: this.parts }),
          });
        }
        take[p] = i;
      }
      if (messages.length === 0) break;
      try {
        await this.producer.send({ topic: this.topic, acks: -1, messages });
        backoff = 100;
        let bytes = 0;
        for (let p = 0; p < qs.length; p++) {
          for (const b of qs[p].splice(0, take[p])) {
            const size = b.value ? b.value.byteLength : 0;
            bytes += size;
            this.counters.published += b.packets;
            if (b.kind === 'batch') this.counters.batchesPublished++;
            this.onAck(Math.ceil(size / 1024));
          }
        }
        this.buffered -= bytes;
      } catch {
        this.counters.publishErrors++;
        if (this.stopping) break;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
    this.busy = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves when everything queued was sent, or after `timeoutMs` (then gives up retrying). */
  async drain(timeoutMs: number): Promise<boolean> {
    const idle = (): boolean => !this.busy && this.queues.every((q) => q.length === 0);
    if (idle()) return true;
    const done = new Promise<void>((r) => this.idleWaiters.push(r));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)));
    await Promise.race([done, timeout]);
    clearTimeout(timer);
    if (!idle()) {
      this.stopping = true;
      return false;
    }
    return true;
  }
}
