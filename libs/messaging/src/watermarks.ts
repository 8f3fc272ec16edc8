/** Options of a {@link MinWatermark}. */
export interface MinWatermarkOptions {
  /**
   * Wall-clock ms after which a stream that has never reported stops holding the clock back
   * (Infinity: wait for it forever). A declared source that never speaks is a lost aggregator or
   * a watermark that lied about `sources`; a real one reports within seconds of the first.
   */
  silentGraceMs?: number;
  /** Wall clock in ms (tests pass their own). */
  now?: () => number;
}

/**
 * Event-time clock for one sensor as seen by a consumer that reads several partitions, each
 * carrying watermarks from several sources (packet partitions). The clock is the minimum over
 * every (partition, source) stream: until every stream has spoken, it stays at -1 — except that a
 * stream still silent `silentGraceMs` after it was first waited for is left out (`silent` lists
 * it) until it does report. `eos` becomes true when every stream not left out reported end of input.
 */
export class MinWatermark {
  private readonly wm = new Map<number, number>(); // key: partition * 65536 + source
  private readonly eosSet = new Set<number>();
  /** Wall-clock ms when the clock first found each never-reported stream missing. */
  private readonly missingSince = new Map<number, number>();
  /** Streams left out because they never reported within the grace. */
  readonly silent = new Set<number>();
  private newlySilent: number[] = [];
  /** Partitions some watermark has come from. */
  private readonly heard = new Set<number>();
  private partitions: number[] = [];
  private readonly graceMs: number;
  private readonly now: () => number;

  constructor(
    private sources: number,
    opts: MinWatermarkOptions = {},
  ) {
    this.graceMs = opts.silentGraceMs ?? Number.POSITIVE_INFINITY;
    this.now = opts.now ?? Date.now;
  }

  /** The partitions this consumer currently reads (after a rebalance). */
  setPartitions(parts: number[]): void {
    this.partitions = [...parts].sort((a, b) => a - b);
  }

  /** Grows the expected source count (callers bound it: WatermarkV1.sources ≤ MAX_PACKET_PARTITIONS). */
  setSources(n: number): void {
    if (n > this.sources) this.sources = n;
  }

  /** Records a watermark; returns the new clock. Watermarks never go backwards per stream. */
  update(partition: number, source: number, wmUs: number, eos: boolean): number {
    const k = partition * 65536 + source;
    this.heard.add(partition);
    const prev = this.wm.get(k);
    if (prev === undefined || wmUs > prev) this.wm.set(k, wmUs);
    if (eos) this.eosSet.add(k);
    // A stream left out that speaks after all holds the clock again (callers keep their own maximum).
    this.silent.delete(k);
    this.missingSince.delete(k);
    return this.clock();
  }

  /**
   * True when stream `k` has never reported and is (now) left out; starts its grace on first
   * sight. Only on a partition read already: a partition with no watermark at all may simply not
   * have been read yet (a restarted detector catching up reaches its partitions one batch at a
   * time), and going on without it made the rules see its statistics late, i.e. other alerts
   * than a clean run.
   */
  private leftOut(k: number, nowMs: number): boolean {
    if (this.silent.has(k)) return true;
    if (!this.heard.has(Math.floor(k / 65536))) return false;
    let since = this.missingSince.get(k);
    if (since === undefined) {
      since = nowMs;
      this.missingSince.set(k, since);
    }
    if (nowMs - since < this.graceMs) return false;
    this.silent.add(k);
    this.newlySilent.push(k);
    return true;
  }

  /**
   * Minimum over every expected stream, or -1 while one has not reported (within its grace) or
   * none has. The grace of the silent ones starts once some stream has reported: before that,
   * nobody has declared anything to wait for.
   */
  clock(): number {
    if (this.partitions.length === 0) return -1;
    let min = Number.POSITIVE_INFINITY;
    let missing: number[] | null = null;
    for (const p of this.partitions) {
      for (let s = 0; s < this.sources; s++) {
        const k = p * 65536 + s;
        const v = this.wm.get(k);
        if (v === undefined) (missing ??= []).push(k);
        else if (v < min) min = v;
      }
    }
    if (min === Number.POSITIVE_INFINITY) return -1;
    if (missing === null) return min;
    const nowMs = this.now();
    let waiting = false;
    for (const k of missing) if (!this.leftOut(k, nowMs)) waiting = true;
    return waiting ? -1 : min;
  }

  /** True when some stream has reported and another has not, with its grace still running (the clock waits for it). */
  get waiting(): boolean {
    let reported = false;
    let missing = false;
    for (const p of this.partitions) {
      for (let s = 0; s < this.sources; s++) {
        const k = p * 65536 + s;
        if (this.wm.has(k)) reported = true;
        else if (!this.silent.has(k)) missing = true;
      }
    }
    return reported && missing;
  }

  /** Streams left out since the last call, as `{ partition, source }` (to count and log once each). */
  takeNewlySilent(): { partition: number; source: number }[] {
    const out = this.newlySilent.map((k) => ({ partition: Math.floor(k / 65536), source: k % 65536 }));
    this.newlySilent = [];
    return out;
  }

  /** True when every expected stream not left out reported end of input (and one did). */
  get eos(): boolean {
    if (this.partitions.length === 0 || this.clock() < 0) return false;
    for (const p of this.partitions) {
      for (let s = 0; s < this.sources; s++) {
        const k = p * 65536 + s;
        if (!this.eosSet.has(k) && !this.silent.has(k)) return false;
      }
    }
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
