import { PacketBatchBuilder, flowHash, type PacketRecord } from '@netsentry/packets';

/** One message for the packets topic, before it is sent. */
export interface OutBatch {
  partition: number;
  kind: 'batch' | 'tick' | 'eos';
  /** Sensor clock when the message was made: no older packet follows in any partition. */
  wmUs: number;
  /** Encoded packet batch (kind `batch`), else null. */
  value: Uint8Array | null;
  packets: number;
}

/**
 * Splits decoded packets into one batch builder per partition of the packets topic by the
 * direction-independent flow hash, so both directions of a flow reach the same partition (and
 * the same aggregator). We choose the partition ourselves rather than hashing a key in the
 * client, because a batch holds many flows: the message key is the partition's hash bucket.
 * Runs on the capture hot path: no allocation per packet (the builder copies the record).
 */
export class PacketBatcher {
  private readonly builders: PacketBatchBuilder[] = [];
  private readonly lastSentWm: number[] = [];
  /** Sensor clock: the newest packet time seen (or the wall clock in live mode when idle). */
  wmUs = 0;

  constructor(
    readonly parts: number,
    private readonly maxPackets: number,
    private readonly onBatch: (b: OutBatch) => void,
    /** Batch format version to write: 1 for aggregators older than version 2 (rolling upgrades). */
    private readonly format: 1 | 2 = 2,
  ) {
    for (let p = 0; p < parts; p++) {
      this.builders.push(new PacketBatchBuilder(maxPackets));
      this.lastSentWm.push(-1);
    }
  }

  add(rec: PacketRecord): void {
    if (rec.tsUs > this.wmUs) this.wmUs = rec.tsUs;
    const p = (flowHash(rec) >>> 0) % this.parts;
    const b = this.builders[p];
    b.add(rec);
    if (b.size >= this.maxPackets || b.full()) this.emit(p);
  }

  private emit(p: number): void {
    const b = this.builders[p];
    const n = b.size;
    const value = b.build(this.format);
    b.reset();
    this.lastSentWm[p] = this.wmUs;
    this.onBatch({ partition: p, kind: 'batch', wmUs: this.wmUs, value, packets: n });
  }

  /** Packets waiting in builders. */
  get pending(): number {
    let n = 0;
    for (const b of this.builders) n += b.size;
    return n;
  }

  /**
   * Sends every partial batch; partitions with nothing to send get a tick when the clock moved
   * by at least `tickEveryUs` since their last message, so every partition's clock advances.
   */
  flushAll(tickEveryUs = 0): void {
    for (let p = 0; p < this.parts; p++) {
      if (this.builders[p].size > 0) this.emit(p);
      else if (this.wmUs > 0 && this.wmUs - this.lastSentWm[p] >= tickEveryUs && this.wmUs > this.lastSentWm[p]) {
        this.lastSentWm[p] = this.wmUs;
        this.onBatch({ partition: p, kind: 'tick', wmUs: this.wmUs, value: null, packets: 0 });
      }
    }
  }

  /** Advances the clock without packets (live mode on a quiet interface). */
  advanceTo(wmUs: number): void {
    if (wmUs > this.wmUs) this.wmUs = wmUs;
  }

  /** End of input: flush, then mark the end on every partition. */
  end(): void {
    this.flushAll(Number.POSITIVE_INFINITY);
    for (let p = 0; p < this.parts; p++) this.onBatch({ partition: p, kind: 'eos', wmUs: this.wmUs, value: null, packets: 0 });
  }
}
