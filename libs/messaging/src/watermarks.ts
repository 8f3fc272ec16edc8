/**
 * Event-time clock for one sensor as seen by a consumer that reads several partitions, each
 * carrying watermarks from several sources (packet partitions). The clock is the minimum over
 * every (partition, source) stream: until every stream has spoken, it stays at -1.
 * `eos` becomes true when every stream reported end of input.
 */
export class MinWatermark {
  private readonly wm = new Map<number, number>(); // key: partition * 65536 + source
  private readonly eosSet = new Set<number>();
  private partitions: number[] = [];

  constructor(private sources: number) {}

  /** The partitions this consumer currently reads (after a rebalance). */
  setPartitions(parts: number[]): void {
    this.partitions = [...parts].sort((a, b) => a - b);
  }

  setSources(n: number): void {
    if (n > this.sources) this.sources = n;
  }

  /** Records a watermark; returns the new clock. Watermarks never go backwards per stream. */
  update(partition: number, source: number, wmUs: number, eos: boolean): number {
    const k = partition * 65536 + source;
    const prev = this.wm.get(k);
    if (prev === undefined || wmUs > prev) this.wm.set(k, wmUs);
    if (eos) this.eosSet.add(k);
    return this.clock();
  }

  /** Minimum over every expected stream, or -1 while one has not reported. */
  clock(): number {
    if (this.partitions.length === 0) return -1;
    let min = Number.POSITIVE_INFINITY;
    for (const p of this.partitions) {
      for (let s = 0; s < this.sources; s++) {
        const v = this.wm.get(p * 65536 + s);
        if (v === undefined) return -1;
        if (v < min) min = v;
      }
    }
    return min;
  }

  /** True when every expected stream reported end of input. */
  get eos(): boolean {
    if (this.partitions.length === 0) return false;
    for (const p of this.partitions) for (let s = 0; s < this.sources; s++) if (!this.eosSet.has(p * 65536 + s)) return false;
    return true;
  }

  /** Forget end-of-input marks (a new run of the same sensor starts). */
  resetEos(): void {
    this.eosSet.clear();
  }
}

/**
 * Which offset of one partition may be committed. Messages are recorded in order with the
 * event time after which they are no longer needed; `safeOffset(clock)` is the offset of the
 * first message still needed (commit position), so a restart replays exactly what in-memory
 * state had not yet turned into acknowledged output.
 */
export class CommitTracker {
  private offs: number[] = [];
  private times: number[] = [];
  private head = 0;
  private next = -1;

  /** Records a consumed message whose content is only needed until event time `neededUntilUs`. */
  record(offset: number, neededUntilUs: number): void {
    this.offs.push(offset);
    this.times.push(neededUntilUs);
    this.next = offset + 1;
  }

  /** Commit position given that everything needed only before `clockUs` is safely produced. */
  safeOffset(clockUs: number): number {
    while (this.head < this.offs.length && this.times[this.head] < clockUs) this.head++;
    if (this.head > 4096 && this.head * 2 > this.offs.length) {
      this.offs = this.offs.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return this.head < this.offs.length ? this.offs[this.head] : this.next;
  }

  /** Offset of the first message still needed at `clockUs`, or -1 when none is. */
  firstNeeded(clockUs: number): number {
    const off = this.safeOffset(clockUs);
    return off === this.next ? -1 : off;
  }

  /** Everything consumed is safe (state flushed): commit past the last message. */
  releaseAll(): number {
    this.head = this.offs.length;
    return this.next;
  }

  get lastConsumed(): number {
    return this.next;
  }
}
