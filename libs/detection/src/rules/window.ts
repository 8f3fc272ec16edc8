/*
 * Sliding windows in packet time over finalized statistics intervals. Every structure is fed
 * interval by interval (times are interval starts, in epoch seconds) and forgets what is older
 * than the window when asked for a figure.
 */

/** Sum of per-interval values over the last `windowS` seconds. */
export class WindowSum {
  private readonly ts: number[] = [];
  private readonly vs: number[] = [];
  private head = 0;
  private total = 0;

  constructor(readonly windowS: number) {}

  add(t: number, v: number): void {
    if (v === 0) return;
    const n = this.ts.length;
    if (n > this.head && this.ts[n - 1] === t) this.vs[n - 1] += v;
    else { this.ts.push(t); this.vs.push(v); }
    this.total += v;
  }

  /** Sum over intervals starting after `now - windowS` (now = end of the newest interval). */
  sum(now: number): number {
    const cutoff = now - this.windowS;
    while (this.head < this.ts.length && this.ts[this.head] < cutoff) {
      this.total -= this.vs[this.head];
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.ts.length) {
      this.ts.splice(0, this.head);
      this.vs.splice(0, this.head);
      this.head = 0;
    }
    if (this.head === this.ts.length) this.total = 0; // no drift once empty
    return this.total;
  }

  /** Start of the oldest interval still in the window, or NaN when empty. */
  first(now: number): number {
    this.sum(now);
    return this.head < this.ts.length ? this.ts[this.head] : NaN;
  }
}

/**
 * Distinct items over the window: each item remembers the last interval it was seen in
 * (insertion order is kept by last sighting, so expiry only touches expired items). A
 * statistics set that overflowed its sketch adds its estimate as a lower bound, so the
 * windowed count is exact up to the sketch size and a lower bound past it.
 */
export class WindowDistinct<K> {
  private readonly seen = new Map<K, number>();
  private readonly estimates: WindowMax;

  constructor(readonly windowS: number) {
    this.estimates = new WindowMax(windowS);
  }

  add(t: number, item: K): void {
    this.seen.delete(item);
    this.seen.set(item, t);
  }

  /** Notes a sketch's estimated size for interval `t` (only needed when it overflowed). */
  addEstimate(t: number, n: number): void {
    this.estimates.add(t, n);
  }

  private expire(now: number): void {
    const cutoff = now - this.windowS;
    for (const [k, t] of this.seen) {
      if (t >= cutoff) break;
      this.seen.delete(k);
    }
  }

  count(now: number): number {
    this.expire(now);
    return Math.max(this.seen.size, this.estimates.max(now));
  }

  has(now: number, item: K): boolean {
    this.expire(now);
    return this.seen.has(item);
  }

  /** Items in the window, most recently seen last. */
  items(now: number): K[] {
    this.expire(now);
    return [...this.seen.keys()];
  }
}

/** Maximum of per-interval values over the window. */
export class WindowMax {
  private readonly ts: number[] = [];
  private readonly vs: number[] = [];

  constructor(readonly windowS: number) {}

  add(t: number, v: number): void {
    // Monotonic deque: drop older values that can never be the maximum again.
    while (this.vs.length > 0 && this.vs[this.vs.length - 1] <= v) { this.vs.pop(); this.ts.pop(); }
    this.ts.push(t);
    this.vs.push(v);
  }

  max(now: number): number {
    const cutoff = now - this.windowS;
    while (this.ts.length > 0 && this.ts[0] < cutoff) { this.ts.shift(); this.vs.shift(); }
    return this.vs.length > 0 ? this.vs[0] : 0;
  }
}

/**
 * Exponentially weighted moving average of a per-second rate, in packet time. Intervals with
 * no traffic count as zero (the decay covers gaps). `samples` says how much history backs it.
 */
export class Baseline {
  value = 0;
  /** Seconds of history folded in. */
  seconds = 0;
  private lastT = NaN;

  constructor(private readonly alpha: number) {}

  /**
   * Folds in `rate` for the interval [t, t + dt), learning at most `clip` (a burst teaches
   * the baseline only a little, so the next burst still stands out; a steady higher rate is
   * still learned, in a few steps, because the caller's clip grows with the baseline).
   */
  update(t: number, dt: number, rate: number, clip = Infinity): void {
    rate = Math.min(rate, clip);
    if (!Number.isNaN(this.lastT)) {
      const gap = Math.max(0, Math.round((t - this.lastT) / dt) - 1);
      if (gap > 0) {
        this.value *= Math.pow(1 - this.alpha, gap);
        this.seconds += gap * dt;
      }
    }
    this.value = this.seconds === 0 ? rate : this.value + this.alpha * (rate - this.value);
    this.seconds += dt;
    this.lastT = t;
  }
}

/** A map whose entries are kept in last-touched order, so idle ones can be dropped cheaply. */
export class IdleMap<K, V> {
  private readonly map = new Map<K, { v: V; t: number }>();

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key)?.v;
  }

  /** The value for `key`, created when missing, marked as touched at `t`. */
  touch(key: K, t: number, create: () => V): V {
    const e = this.map.get(key);
    if (e !== undefined) {
      this.map.delete(key);
      e.t = t;
      this.map.set(key, e);
      return e.v;
    }
    const v = create();
    this.map.set(key, { v, t });
    return v;
  }

  /** Drops entries not touched since `before`. */
  expire(before: number): void {
    for (const [k, e] of this.map) {
      if (e.t >= before) break;
      this.map.delete(k);
    }
  }

  entries(): IterableIterator<[K, { v: V; t: number }]> {
    return this.map.entries();
  }
}
