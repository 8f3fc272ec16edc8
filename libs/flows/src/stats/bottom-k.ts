import { kmvEstimate } from './hash';

/**
 * A map from numeric keys to values that keeps every key while it holds at most `k` of them,
 * and past that only the `k` keys with the smallest hash (a bottom-k sample). The selection
 * depends only on the set of keys offered, never on their order, so two instances that each
 * saw part of the keys and a third that saw all of them agree after merging: the bottom-k of
 * a union is the bottom-k of the parts' bottom-ks. Values of evicted keys are dropped; a key
 * evicted once never comes back (the admission bound only falls).
 *
 * Most sets in a busy interval hold one key (a spoofed source sends one SYN to one port), so
 * the first key lives in two fields and the Map is made only for a second one.
 */
export class BottomK<V> {
  private oneKey = NaN;
  private oneValue: V | undefined = undefined;
  private m: Map<number, V> | null = null;
  private overflowed = false;
  /** Max-heap of (hash, key) over the kept keys, built when the map first overflows. */
  private heapHash: Float64Array | null = null;
  private heapKey: Float64Array | null = null;

  constructor(
    readonly k: number,
    private readonly hashOf: (key: number) => number,
    private readonly create: (key: number) => V,
  ) {}

  get size(): number {
    return this.m !== null ? this.m.size : Number.isNaN(this.oneKey) ? 0 : 1;
  }

  /** True when every key offered is kept. */
  get exact(): boolean {
    return !this.overflowed;
  }

  /** Distinct keys offered: exact, or the bottom-k estimate. */
  get n(): number {
    if (!this.overflowed) return this.size;
    return kmvEstimate(this.k, this.heapHash![0]);
  }

  /** The value kept for `key`, if any (never creates). */
  get(key: number): V | undefined {
    if (this.m !== null) return this.m.get(key);
    return key === this.oneKey ? this.oneValue : undefined;
  }

  /** The value for `key`, created if the key is admitted; undefined if it falls outside the sample. */
  slot(key: number): V | undefined {
    let m = this.m;
    if (m === null) {
      if (key === this.oneKey) return this.oneValue;
      if (Number.isNaN(this.oneKey)) {
        const nv = this.create(key);
        this.oneKey = key;
        this.oneValue = nv;
        return nv;
      }
      m = this.m = new Map<number, V>();
      m.set(this.oneKey, this.oneValue as V);
      this.oneKey = NaN;
      this.oneValue = undefined;
    }
    const v = m.get(key);
    if (v !== undefined) return v;
    if (!this.overflowed) {
      if (m.size < this.k) {
        const nv = this.create(key);
        m.set(key, nv);
        return nv;
      }
      this.spill(m);
    }
    const h = this.hashOf(key);
    const hh = this.heapHash!, hk = this.heapKey!;
    if (h >= hh[0]) return undefined;
    m.delete(hk[0]);
    hh[0] = h;
    hk[0] = key;
    this.siftDown(0);
    const nv = this.create(key);
    m.set(key, nv);
    return nv;
  }

  /** Adds a key without caring for its value. */
  add(key: number): void {
    this.slot(key);
  }

  /** Kept keys in ascending hash order (the order messages carry). */
  keysByHash(): number[] {
    const m = this.m;
    if (m === null) return Number.isNaN(this.oneKey) ? [] : [this.oneKey];
    const n = m.size;
    const keys = new Float64Array(n);
    const hashes = new Float64Array(n);
    const order = new Uint32Array(n);
    let i = 0;
    for (const key of m.keys()) { keys[i] = key; hashes[i] = this.hashOf(key); order[i] = i; i++; }
    order.sort((a, b) => hashes[a] - hashes[b] || keys[a] - keys[b]);
    const out = new Array<number>(n);
    for (let j = 0; j < n; j++) out[j] = keys[order[j]];
    return out;
  }

  private spill(m: Map<number, V>): void {
    // A k of 1 overflows from the inline slot: it was moved into the map above.
    const n = m.size;
    const hh = new Float64Array(n), hk = new Float64Array(n);
    let i = 0;
    for (const key of m.keys()) {
      hh[i] = this.hashOf(key);
      hk[i] = key;
      i++;
    }
    this.heapHash = hh;
    this.heapKey = hk;
    for (let j = (n >> 1) - 1; j >= 0; j--) this.siftDown(j);
    this.overflowed = true;
  }

  private siftDown(i: number): void {
    const hh = this.heapHash!, hk = this.heapKey!, n = hh.length;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < n && hh[l] > hh[m]) m = l;
      if (r < n && hh[r] > hh[m]) m = r;
      if (m === i) return;
      const th = hh[i], tk = hk[i];
      hh[i] = hh[m]; hk[i] = hk[m];
      hh[m] = th; hk[m] = tk;
      i = m;
    }
  }
}
