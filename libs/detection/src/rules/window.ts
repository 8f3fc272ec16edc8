/*
 * Sliding windows in packet time over finalized statistics intervals. Every structure is fed
 * interval by interval (times are interval starts, in epoch seconds) and forgets what is older
 * than the window when asked for a figure.
 */

/**
 * Sum of per-interval values over the last `windowS` seconds. The first interval lives in two
 * fields; the arrays are made when a second interval comes (most windows of a spoofed-source
 * flood see one interval).
 */
export class WindowSum {
  private oneT = NaN;
  private oneV = 0;
  private ts: number[] | null = null;
  private vs: number[] | null = null;
  private head = 0;
  private total = 0;

  constructor(readonly windowS: number) {}

  add(t: number, v: number): void {
    if (v === 0) return;
    const ts = this.ts;
    if (ts === null) {
      if (Number.isNaN(this.oneT)) { this.oneT = t; this.oneV = v; }
      else if (this.oneT === t) this.oneV += v;
      else {
        this.ts = [this.oneT, t];
        this.vs = [this.oneV, v];
        this.head = 0;
        this.oneT = NaN;
        this.oneV = 0;
      }
      this.total += v;
      return;
    }
    const vs = this.vs!;
    const n = ts.length;
    if (n > this.head && ts[n - 1] === t) vs[n - 1] += v;
    else { ts.push(t); vs.push(v); }
    this.total += v;
  }

  /** Sum over intervals starting after `now - windowS` (now = end of the newest interval). */
  sum(now: number): number {
    const cutoff = now - this.windowS;
    const ts = this.ts;
    if (ts === null) {
      if (this.oneT < cutoff) { this.oneT = NaN; this.oneV = 0; this.total = 0; }
      return this.total;
    }
    const vs = this.vs!;
    while (this.head < ts.length && ts[this.head] < cutoff) {
      this.total -= vs[this.head];
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > ts.length) {
      ts.splice(0, this.head);
      vs.splice(0, this.head);
      this.head = 0;
    }
    if (this.head === ts.length) this.total = 0; // no drift once empty
    return this.total;
  }

  /**
   * Sum over intervals starting at or after `cutoff` (a cut inside the window: the newest part
   * of it). Expires like `sum(now)` first; walks only the entries past the window's start.
   */
  sumSince(cutoff: number): number {
    const ts = this.ts;
    if (ts === null) return this.oneT >= cutoff ? this.oneV : 0;
    const vs = this.vs!;
    let s = 0;
    for (let i = ts.length - 1; i >= this.head && ts[i] >= cutoff; i--) s += vs[i];
    return s;
  }

  /** Start of the oldest interval still in the window, or NaN when empty. */
  first(now: number): number {
    this.sum(now);
    if (this.ts === null) return this.oneT;
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
  /** The first item lives inline until a second one comes (most windows hold one item). */
  private oneItem: K | undefined = undefined;
  private oneT = NaN;
  private seen: Map<K, number> | null = null;
  private estimates: WindowMax | null = null;

  constructor(readonly windowS: number) {}

  add(t: number, item: K): void {
    if (this.seen === null) {
      if (Number.isNaN(this.oneT) || this.oneItem === item) {
        this.oneItem = item;
        this.oneT = t;
        return;
      }
      this.seen = new Map<K, number>();
      this.seen.set(this.oneItem as K, this.oneT);
      this.oneItem = undefined;
      this.oneT = NaN;
    }
    this.seen.delete(item);
    this.seen.set(item, t);
  }

  /** Notes a sketch's estimated size for interval `t` (only needed when it overflowed). */
  addEstimate(t: number, n: number): void {
    (this.estimates ??= new WindowMax(this.windowS)).add(t, n);
  }

  private expire(now: number): void {
    const cutoff = now - this.windowS;
    if (this.seen === null) {
      if (this.oneT < cutoff) { this.oneItem = undefined; this.oneT = NaN; }
      return;
    }
    for (const [k, t] of this.seen) {
      if (t >= cutoff) break;
      this.seen.delete(k);
    }
  }

  count(now: number): number {
    this.expire(now);
    const n = this.seen !== null ? this.seen.size : Number.isNaN(this.oneT) ? 0 : 1;
    return this.estimates === null ? n : Math.max(n, this.estimates.max(now));
  }

  /** True when an interval in the window overflowed its sketch: `count` is then an estimate and `items` a sample. */
  estimated(now: number): boolean {
    return this.estimates !== null && this.estimates.max(now) > 0;
  }

  has(now: number, item: K): boolean {
    this.expire(now);
    if (this.seen === null) return !Number.isNaN(this.oneT) && this.oneItem === item;
    return this.seen.has(item);
  }

  /** Items in the window, most recently seen last. */
  items(now: number): K[] {
    this.expire(now);
    if (this.seen === null) return Number.isNaN(this.oneT) ? [] : [this.oneItem as K];
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

/**
 * A map of per-entity state that forgets entities not touched for a while. Touching is a plain
 * lookup (no reordering: under a spoofed-source flood most entities are touched once); the
 * sweep for idle entries runs on every 8th `expire` call, so it costs O(entries / 8) per
 * interval and an idle entry may outlive its deadline by a few intervals (its windows expire
 * their own contents by time anyway).
 */
export class IdleMap<K, V> {
  private readonly map = new Map<K, { v: V; t: number }>();
  private calls = 0;

  /** `onDrop` is called for every entry `expire` drops. */
  constructor(private readonly onDrop?: (key: K, value: V) => void) {}

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
      if (t > e.t) e.t = t;
      return e.v;
    }
    const v = create();
    this.map.set(key, { v, t });
    return v;
  }

  /** Drops entries not touched since `before` (see the class comment for when). */
  expire(before: number): void {
    if ((++this.calls & 7) !== 0) return;
    for (const [k, e] of this.map) {
      if (e.t < before) {
        this.map.delete(k);
        this.onDrop?.(k, e.v);
      }
    }
  }
}
