/**
 * Bidirectional flow table: decoded packets in, finished FlowV1 records out.
 *
 * Mechanism only (what the packets say); detection policy lives elsewhere. Hot path rules:
 * `add()` reads the reusable PacketRecord, touches typed arrays only, never allocates and
 * never throws. Allocation happens once per exported flow (the FlowV1 object).
 *
 * Lookup: open addressing with linear probing over `index` (slot numbers, -1 empty), the
 * canonical key, its hash and the lru/age list links of each slot in one Int32Array stride
 * (`hd`, H.Stride words per slot); deletion by backward shift, so no tombstones pile up
 * under churn (a SYN flood creates and evicts a flow per packet). Per-flow statistics live in
 * FlowStore (two interleaved blocks) and are accumulated by FlowStore.update().
 *
 * Constants used per packet are `const enum`s of this file (inlined as literals by the
 * compiler): module-level `const`s cost a context-slot load and imported ones a getter call
 * on every use.
 *
 * Time is packet time only: `clockUs` is the highest packet timestamp (or watermark) seen.
 * Expiry walks the heads of three intrusive lists, each ordered by its deadline:
 *   lru   (last packet time)      -> idle timeout, and eviction when the table is full
 *   age   (record start time)     -> active timeout (export, continue as a new record)
 *   close (FIN both ways / RST)   -> export after tcpCloseGraceS
 */
import type { FlowV1 } from '@netsentry/contracts';
import type { PacketRecord } from '@netsentry/packets';
import { FlowStore } from './flow-store';
import * as flowKey from './flow-key';
import { FEATURE_COUNT, featureRecord, featureValues } from './features';
import { formatAddress } from './address';
import { isKnownServicePort, serviceName } from './services';
import { warmUpFlowTable } from './warm-up';

export interface FlowTableOptions {
  /** Sensor id stamped on every flow (part of the flow id). */
  sensor: string;
  /** Export a flow after this many seconds without packets (default 120). */
  idleTimeoutS?: number;
  /** Export a flow this long after its record started and continue as a new record (default 1800). */
  activeTimeoutS?: number;
  /** After FIN both ways or RST, wait this long for stragglers before exporting (default 5, as Zeek's tcp_close_delay). */
  tcpCloseGraceS?: number;
  /** Most live flows; past it the least recently seen flow is exported early ('evicted'). Default 1 048 576. */
  maxFlows?: number;
  /** Gap that ends an "active" period for the Active/Idle features (default 5 s, CICFlowMeter's activity timeout). */
  activityTimeoutS?: number;
  /** Slots allocated up front (default 4096; the table doubles up to maxFlows). */
  initialCapacity?: number;
}

export interface FlowTableCounters {
  /** Packets given to add(). */
  packets: number;
  /** Packets that are not IPv4/IPv6 (ARP, ...), ignored by the flow table. */
  nonIp: number;
  /** Non-first IP fragments (attributed to the fragment bucket flow of their address pair). */
  fragments: number;
  /** Packets older than the table clock (accepted; IATs clamp at 0). */
  outOfOrder: number;
  /** Packets with a timestamp that is not a finite number in [0, 1e17) µs, ignored. */
  badTime: number;
  /** Flow records opened. */
  flowsCreated: number;
  /** Flow records exported (every reason). */
  flowsExported: number;
  /** Exported early because the table was full. */
  evicted: number;
  idle: number;
  active: number;
  fin: number;
  rst: number;
  endOfInput: number;
  /** Highest number of live flows at once. */
  peakFlows: number;
}

export const DEFAULT_MAX_FLOWS = 1 << 20;

/** Slot header words (`hd`): canonical key (see flow-key.ts), its hash, lru and age list links. */
const enum H {
  Ports = 8, ProtoVlan = 9, Kind = 10,
  Hash = 11, LruPrev = 12, LruNext = 13, AgePrev = 14, AgeNext = 15,
  Stride = 16,
}
/** Words of a canonical key (KEY_WORDS of flow-key.ts). */
const enum Key { Words = 11 }
const enum Kind { Normal = 0, Fragments = 1 }
// Tcp bits (see flow-store.ts).
const enum T {
  SynFwd = 1, SynAckBwd = 2, HandshakeDone = 4, FinFwd = 8, FinBwd = 16, RstFwd = 32, RstBwd = 64, Closing = 128, SynSeen = 256,
}
const enum Flag { SYN = 0x02, ACK = 0x10 }
const enum Step { ExpireUs = 1000 }

const flowIdHashed = flowKey.flowIdHashed;
const hashString = flowKey.hashString;
const imul = Math.imul;

/** Key words in hashing order: the four that vary between IPv4 flows first, then the rest of IPv6 addresses. */
const HASH_ORDER = Int32Array.of(3, 7, H.Ports, H.ProtoVlan, 0, 1, 2, 4, 5, 6);

/**
 * 32-bit murmur3-style hash of the key words in `k`, mixed with the table's seed. IPv4 keys
 * (both addresses mapped ::ffff:a.b.c.d) hash only the four words that vary: 4 rounds instead
 * of 10. Not flow-key.ts's hashKey: the table keeps its own seeded hash, nothing outside sees it.
 * One loop, no helper call per word: add() is too big for V8 to inline a call per round, and an
 * int32 beyond the 31-bit small-integer range passed to or returned from a call is boxed (a heap
 * number allocated per round).
 */
function hashWords(k: Int32Array, seed: number): number {
  let h = seed ^ k[H.Kind];
  const rounds = (k[0] | k[1] | k[4] | k[5] | (k[2] ^ 0xffff) | (k[6] ^ 0xffff)) !== 0 ? 10 : 4;
  for (let j = 0; j < rounds; j++) {
    let x = imul(k[HASH_ORDER[j]], 0xcc9e2d51);
    x = (x << 15) | (x >>> 17);
    h ^= imul(x, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0x7fffffff;
}

type EndReason = FlowV1['endReason'];

export class FlowTable {
  readonly counters: FlowTableCounters = {
    packets: 0, nonIp: 0, fragments: 0, outOfOrder: 0, badTime: 0, flowsCreated: 0, flowsExported: 0, evicted: 0,
    idle: 0, active: 0, fin: 0, rst: 0, endOfInput: 0, peakFlows: 0,
  };
  readonly sensor: string;
  readonly idleUs: number;
  readonly activeUs: number;
  readonly graceUs: number;
  readonly activityUs: number;
  readonly maxFlows: number;

  private readonly st: FlowStore;
  /** Slot headers: key words, hash, lru and age links (H.Stride words per slot). */
  private hd = new Int32Array(0);
  /** The same words unsigned (key words as flow-key.ts and address.ts read them). */
  private hdU = new Uint32Array(0);
  /** Close list links (only closing TCP flows; -1 none). */
  private clsPrev = new Int32Array(0);
  private clsNext = new Int32Array(0);
  private index = new Int32Array(0);
  private mask = 0;
  private readonly seed: number;
  private readonly sensorHash: number;
  private readonly scratch = new Int32Array(Key.Words);
  /** Feature values of the flow being exported. */
  private readonly values = new Float64Array(FEATURE_COUNT);
  /** Free slots (stack). */
  private free = new Int32Array(0);
  private freeTop = 0;
  private live = 0;
  private clockUs = -Infinity;
  private nextExpireUs = -Infinity;
  /** Slot of the previous packet's flow (-1 none). */
  private lastSlot = -1;

  private lruHead = -1; private lruTail = -1;
  private ageHead = -1; private ageTail = -1;
  private clsHead = -1; private clsTail = -1;

  constructor(opts: FlowTableOptions, private readonly onFlow: (flow: FlowV1) => void) {
    this.sensor = opts.sensor;
    this.sensorHash = hashString(opts.sensor);
    this.idleUs = Math.round((opts.idleTimeoutS ?? 120) * 1e6);
    this.activeUs = Math.round((opts.activeTimeoutS ?? 1800) * 1e6);
    this.graceUs = Math.round((opts.tcpCloseGraceS ?? 5) * 1e6);
    this.activityUs = Math.round((opts.activityTimeoutS ?? 5) * 1e6);
    this.maxFlows = Math.max(1, Math.floor(opts.maxFlows ?? DEFAULT_MAX_FLOWS));
    if (!(this.idleUs > 0 && this.activeUs > 0 && this.graceUs >= 0 && this.activityUs > 0)) {
      throw new RangeError('FlowTable: timeouts must be positive numbers');
    }
    this.st = new FlowStore(this.activityUs, this.graceUs);
    // Random per-table seed: an attacker cannot aim packets at one probe chain. Output does
    // not depend on it (exports follow packet time and list order, never hash order).
    this.seed = (Math.random() * 0x100000000) | 0;
    this.grow(Math.min(this.maxFlows, Math.max(16, opts.initialCapacity ?? 4096)));
    if (opts.sensor !== 'warm-up') warmUpFlowTable(FlowTable);
  }

  /** Live flow records. */
  get size(): number {
    return this.live;
  }

  /** The table's clock: highest packet time / watermark seen, µs. */
  get nowUs(): number {
    return this.clockUs;
  }

  /** Bytes held by the table's typed arrays (state + index). */
  get memoryBytes(): number {
    return this.st.byteLength() + this.hd.byteLength + this.clsPrev.byteLength + this.clsNext.byteLength +
      this.index.byteLength + this.free.byteLength;
  }

  /**
   * Adds one decoded packet. Returns true when the packet opened a new flow record.
   * Non-IP packets are counted and ignored.
   */
  add(rec: PacketRecord): boolean {
    const c = this.counters;
    c.packets++;
    const l3 = rec.l3 as number;
    if (l3 !== 4 && l3 !== 6) {
      c.nonIp++;
      return false;
    }
    // The calls below that take a time (new record, expiry: not per packet) re-read rec.tsUs
    // instead of passing `ts`: TurboFan boxed `ts` for them once, above their branches, i.e. a
    // heap number allocated on every packet.
    const ts = rec.tsUs;
    // Untrusted input: a time that is not a finite, non-negative number would poison the clock
    // (the bound is libs/packets MAX_TS_US, a literal here to keep the hot path free of a module load).
    if (!(ts >= 0 && ts < 1e17)) {
      c.badTime++;
      return false;
    }
    if (ts > this.clockUs) {
      this.clockUs = ts;
      // Expiry scans run at most once per Step.ExpireUs of packet time (a flow's own
      // deadlines are still checked when its next packet arrives, below); advance() always scans.
      if (ts >= this.nextExpireUs) {
        this.nextExpireUs = ts + Step.ExpireUs;
        this.expire(rec.tsUs);
      }
    } else if (ts < this.clockUs) {
      c.outOfOrder++;
    }

    // ---- canonical key ----
    const k = this.scratch;
    const src = rec.src, dst = rec.dst;
    let sp = rec.srcPort, dp = rec.dstPort;
    let kind: number = Kind.Normal;
    if (rec.isFragment && !rec.isFirstFragment) {
      kind = Kind.Fragments;
      sp = 0; dp = 0;
      c.fragments++;
    }
    const s0 = src[0], s1 = src[1], s2 = src[2], s3 = src[3];
    const d0 = dst[0], d1 = dst[1], d2 = dst[2], d3 = dst[3];
    let srcIsA: boolean;
    if (s0 !== d0) srcIsA = s0 < d0;
    else if (s1 !== d1) srcIsA = s1 < d1;
    else if (s2 !== d2) srcIsA = s2 < d2;
    else if (s3 !== d3) srcIsA = s3 < d3;
    else srcIsA = sp <= dp;
    const proto = rec.proto;
    if (srcIsA) {
      k[0] = s0; k[1] = s1; k[2] = s2; k[3] = s3;
      k[4] = d0; k[5] = d1; k[6] = d2; k[7] = d3;
      k[H.Ports] = (sp << 16) | dp;
    } else {
      k[0] = d0; k[1] = d1; k[2] = d2; k[3] = d3;
      k[4] = s0; k[5] = s1; k[6] = s2; k[7] = s3;
      k[H.Ports] = (dp << 16) | sp;
    }
    k[H.ProtoVlan] = proto | ((rec.vlanOuter & 0xfff) << 8) | ((rec.vlanInner & 0xfff) << 20);
    k[H.Kind] = kind;

    const st = this.st;
    const flags = proto === 6 && kind === Kind.Normal ? rec.tcpFlags : 0;
    // One-entry cache: consecutive packets of one flow (bulk transfers, request/response) skip
    // hashing and probing. The words that differ most between flows are compared first.
    let s = this.lastSlot;
    if (s >= 0) {
      const hd = this.hd, o = s * H.Stride;
      if (hd[o + H.Ports] !== k[H.Ports] || hd[o + 3] !== k[3] || hd[o + 7] !== k[7] ||
        hd[o + H.ProtoVlan] !== k[H.ProtoVlan] || hd[o + H.Kind] !== k[H.Kind] ||
        hd[o] !== k[0] || hd[o + 1] !== k[1] || hd[o + 2] !== k[2] ||
        hd[o + 4] !== k[4] || hd[o + 5] !== k[5] || hd[o + 6] !== k[6]) s = -1;
    }
    let h = 0;
    if (s < 0) {
      h = hashWords(k, this.seed);
      s = this.find(h);
    }
    let created = false;
    if (s >= 0) {
      if (st.packets(s) === 0) {
        // Dormant slot (continuation after an active timeout): this packet starts the new record.
        this.startRecord(s, rec.tsUs);
        created = true;
      } else if (ts - st.lastUs(s) > this.idleUs) {
        // The watermark did not expire it (out-of-order input): same rule as expire().
        this.exportSlot(s, 'idle');
        this.restart(s, rec.tsUs, srcIsA, flags);
        created = true;
      } else if ((st.tcp(s) & T.Closing) !== 0 && (flags & (Flag.SYN | Flag.ACK)) === Flag.SYN) {
        // A new connection on a closed 4-tuple (port reuse, SYN retry after a reject).
        this.exportSlot(s, this.closeReason(s));
        this.restart(s, rec.tsUs, srcIsA, flags);
        created = true;
      } else if (this.lruTail !== s) {
        this.lruUnlink(s);
        this.lruAppend(s);
      }
    } else {
      s = this.insert(h, rec.tsUs, srcIsA, flags);
      created = true;
    }
    if (st.update(s, rec, srcIsA, flags, kind !== Kind.Normal)) this.clsAppend(s);
    this.lastSlot = s;
    return created;
  }

  /**
   * Watermark: the sensor's clock has reached `tsUs` (a tick on a quiet link, or the time of
   * the last packet). Exports every flow whose idle / active / close deadline is before it.
   */
  advance(tsUs: number): void {
    if (tsUs > this.clockUs) {
      this.clockUs = tsUs;
      this.expire(tsUs);
    }
  }

  /** End of input: exports every live flow (endReason end_of_input, or fin/rst if closed). */
  flush(): void {
    const st = this.st;
    let s = this.lruHead;
    while (s >= 0) {
      const next = this.hd[s * H.Stride + H.LruNext];
      if (st.packets(s) > 0) {
        const reason: EndReason = (st.tcp(s) & T.Closing) !== 0 ? this.closeReason(s) : 'end_of_input';
        this.exportSlot(s, reason);
      }
      this.removeSlot(s);
      s = next;
    }
  }

  // ------------------------------------------------------------------ expiry

  private expire(now: number): void {
    const st = this.st;
    // Closed TCP flows whose grace period is over.
    while (this.clsHead >= 0 && st.closeAtUs(this.clsHead) <= now) {
      const s = this.clsHead;
      this.exportSlot(s, this.closeReason(s));
      this.removeSlot(s);
    }
    // Idle: no packet for more than idleUs.
    while (this.lruHead >= 0 && now - st.lastUs(this.lruHead) > this.idleUs) {
      const s = this.lruHead;
      if (st.packets(s) > 0) this.exportSlot(s, 'idle');
      this.removeSlot(s);
    }
    // Active: the record has run for activeUs; export and continue as a new record.
    while (this.ageHead >= 0 && now - st.startUs(this.ageHead) >= this.activeUs) {
      const s = this.ageHead;
      this.exportSlot(s, 'active');
      this.ageUnlink(s);
      const t = st.tcp(s);
      if ((t & T.Closing) !== 0) this.clsUnlink(s);
      st.clearStats(s);
      st.setTcp(s, t & ~T.Closing);
    }
  }

  private closeReason(s: number): EndReason {
    return (this.st.tcp(s) & (T.RstFwd | T.RstBwd)) !== 0 ? 'rst' : 'fin';
  }

  // ------------------------------------------------------------------ hash table

  /** Slot holding the key in `scratch` (hash h), or -1. */
  private find(h: number): number {
    const idx = this.index, hd = this.hd, k = this.scratch, mask = this.mask;
    let i = h & mask;
    for (;;) {
      const s = idx[i];
      if (s < 0) return -1;
      const o = s * H.Stride;
      if (hd[o + H.Hash] === h &&
        hd[o + H.Ports] === k[H.Ports] && hd[o + 3] === k[3] && hd[o + 7] === k[7] &&
        hd[o + H.ProtoVlan] === k[H.ProtoVlan] && hd[o + H.Kind] === k[H.Kind] &&
        hd[o] === k[0] && hd[o + 1] === k[1] && hd[o + 2] === k[2] &&
        hd[o + 4] === k[4] && hd[o + 5] === k[5] && hd[o + 6] === k[6]) return s;
      i = (i + 1) & mask;
    }
  }

  /** Opens a new flow for the key in `scratch`; evicts the least recently seen flow when full. */
  private insert(h: number, ts: number, srcIsA: boolean, flags: number): number {
    const st = this.st;
    if (this.live >= this.maxFlows) {
      const v = this.lruHead;
      if (st.packets(v) > 0) {
        this.counters.evicted++;
        this.exportSlot(v, 'evicted');
      }
      this.removeSlot(v);
    } else if (this.freeTop === 0) {
      this.grow(Math.min(this.maxFlows, this.st.cap * 2));
    }
    const s = this.free[--this.freeTop];
    const hd = this.hd, o = s * H.Stride;
    hd.set(this.scratch, o);
    hd[o + H.Hash] = h;
    let i = h & this.mask;
    while (this.index[i] >= 0) i = (i + 1) & this.mask;
    this.index[i] = s;
    this.live++;
    if (this.live > this.counters.peakFlows) this.counters.peakFlows = this.live;
    hd[o + H.LruPrev] = -1; hd[o + H.LruNext] = -1; hd[o + H.AgePrev] = -1; hd[o + H.AgeNext] = -1;
    this.clsPrev[s] = -1; this.clsNext[s] = -1;
    this.lruAppend(s);
    this.initRecord(s, ts, srcIsA, flags);
    return s;
  }

  /** Starts a fresh record (new initiator) in a slot whose previous record was just exported. */
  private restart(s: number, ts: number, srcIsA: boolean, flags: number): void {
    this.ageUnlink(s);
    if ((this.st.tcp(s) & T.Closing) !== 0) this.clsUnlink(s);
    this.lruTouch(s);
    this.initRecord(s, ts, srcIsA, flags);
  }

  private initRecord(s: number, ts: number, srcIsA: boolean, flags: number): void {
    // The sender of the first packet initiates, except that a SYN-ACK seen first means the
    // other side sent the (unseen) SYN.
    const synAckFirst = (flags & (Flag.SYN | Flag.ACK)) === (Flag.SYN | Flag.ACK);
    this.st.initRecord(s, srcIsA !== synAckFirst, (flags & Flag.SYN) !== 0);
    this.startRecord(s, ts);
  }

  /** Marks the record start (first packet or continuation after an active timeout). */
  private startRecord(s: number, ts: number): void {
    this.st.startRecord(s, ts);
    this.counters.flowsCreated++;
    this.ageAppend(s);
    this.lruTouch(s);
  }

  /** Removes slot s from the index and every list and frees it. */
  private removeSlot(s: number): void {
    const st = this.st;
    if (this.lastSlot === s) this.lastSlot = -1;
    this.lruUnlink(s);
    this.ageUnlink(s);
    if ((st.tcp(s) & T.Closing) !== 0) this.clsUnlink(s);
    st.setTcp(s, 0);
    // Backward-shift deletion.
    const idx = this.index, mask = this.mask, hd = this.hd;
    let i = hd[s * H.Stride + H.Hash] & mask;
    while (idx[i] !== s) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const t = idx[j];
      if (t < 0) break;
      const home = hd[t * H.Stride + H.Hash] & mask;
      // Move t back to the hole at i unless its home lies cyclically in (i, j].
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!between) {
        idx[i] = t;
        i = j;
      }
    }
    idx[i] = -1;
    st.clearPackets(s);
    this.free[this.freeTop++] = s;
    this.live--;
  }

  private grow(n: number): void {
    const old = this.st.cap;
    if (n <= old) return;
    this.st.resize(n);
    const hd = new Int32Array(n * H.Stride);
    hd.set(this.hd);
    for (let s = old; s < n; s++) {
      const o = s * H.Stride;
      hd[o + H.LruPrev] = -1; hd[o + H.LruNext] = -1; hd[o + H.AgePrev] = -1; hd[o + H.AgeNext] = -1;
    }
    this.hd = hd;
    this.hdU = new Uint32Array(hd.buffer);
    const clsPrev = new Int32Array(n).fill(-1), clsNext = new Int32Array(n).fill(-1);
    clsPrev.set(this.clsPrev); clsNext.set(this.clsNext);
    this.clsPrev = clsPrev; this.clsNext = clsNext;
    const free = new Int32Array(n);
    free.set(this.free.subarray(0, this.freeTop));
    let top = this.freeTop;
    for (let s = n - 1; s >= old; s--) free[top++] = s;
    this.free = free;
    this.freeTop = top;
    // Index at load factor <= 0.5.
    let size = 16;
    while (size < n * 2) size *= 2;
    this.index = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    for (let s = this.lruHead; s >= 0; s = hd[s * H.Stride + H.LruNext]) {
      let i = hd[s * H.Stride + H.Hash] & this.mask;
      while (this.index[i] >= 0) i = (i + 1) & this.mask;
      this.index[i] = s;
    }
  }

  // ------------------------------------------------------------------ export

  private exportSlot(s: number, reason: EndReason): void {
    const st = this.st;
    const c = this.counters;
    c.flowsExported++;
    switch (reason) {
      case 'idle': c.idle++; break;
      case 'active': c.active++; break;
      case 'fin': c.fin++; break;
      case 'rst': c.rst++; break;
      case 'end_of_input': c.endOfInput++; break;
      default: break;
    }
    st.closeActivePeriod(s);

    const o = s * H.Stride;
    const k = this.hdU;
    const aIsInit = st.initIsA(s);
    const ports = k[o + H.Ports];
    const portA = ports >>> 16, portB = ports & 0xffff;
    const pv = k[o + H.ProtoVlan];
    const proto = pv & 0xff;
    const srcPort = aIsInit ? portA : portB;
    const dstPort = aIsInit ? portB : portA;
    const bucket = k[o + H.Kind] === Kind.Fragments;
    let service: string;
    if (bucket) service = serviceName(proto, 0);
    else if (isKnownServicePort(proto, dstPort) || !isKnownServicePort(proto, srcPort)) service = serviceName(proto, dstPort);
    else service = serviceName(proto, srcPort);
    const startUs = st.startUs(s), lastUs = st.lastUs(s);
    // Values first, then the literal from plain locals (cheaper to compile).
    const id = flowIdHashed(this.sensorHash, k, startUs, o);
    const srcIp = formatAddress(k, aIsInit ? o : o + 4);
    const dstIp = formatAddress(k, aIsInit ? o + 4 : o);
    const state = this.state(s, proto);
    const fwdPackets = st.dirPackets(s, 0), bwdPackets = st.dirPackets(s, 1);
    const fwdBytes = st.dirWire(s, 0), bwdBytes = st.dirWire(s, 1);
    featureValues(st, s, proto, bucket, this.values);
    const features = featureRecord(this.values);
    const vlan = (pv >>> 8) & 0xfff, vlanInner = (pv >>> 20) & 0xfff;
    const start = startUs / 1e6, end = lastUs / 1e6;
    const flow: FlowV1 = {
      id, sensor: this.sensor, proto, srcIp, srcPort, dstIp, dstPort, vlan, vlanInner, start, end,
      endReason: reason, state, service, fwdPackets, bwdPackets, fwdBytes, bwdBytes, features,
    };
    this.onFlow(flow);
  }

  private state(s: number, proto: number): FlowV1['state'] {
    const st = this.st;
    if (proto !== 6) return st.dirPackets(s, 1) > 0 ? 'two_way' : 'one_way';
    const t = st.tcp(s);
    const rst = (t & (T.RstFwd | T.RstBwd)) !== 0;
    if ((t & T.HandshakeDone) !== 0) return rst ? 'reset' : 'established';
    if ((t & T.SynFwd) !== 0) return (t & T.RstBwd) !== 0 ? 'rejected' : 'half_open';
    return rst ? 'reset' : 'ongoing';
  }

  // ------------------------------------------------------------------ lists

  private lruAppend(s: number): void {
    const hd = this.hd, o = s * H.Stride, tail = this.lruTail;
    hd[o + H.LruPrev] = tail; hd[o + H.LruNext] = -1;
    if (tail >= 0) hd[tail * H.Stride + H.LruNext] = s; else this.lruHead = s;
    this.lruTail = s;
  }

  private lruUnlink(s: number): void {
    const hd = this.hd, o = s * H.Stride;
    const p = hd[o + H.LruPrev], n = hd[o + H.LruNext];
    if (p >= 0) hd[p * H.Stride + H.LruNext] = n; else this.lruHead = n;
    if (n >= 0) hd[n * H.Stride + H.LruPrev] = p; else this.lruTail = p;
    hd[o + H.LruPrev] = -1; hd[o + H.LruNext] = -1;
  }

  private lruTouch(s: number): void {
    if (this.lruTail === s) return;
    this.lruUnlink(s);
    this.lruAppend(s);
  }

  private ageAppend(s: number): void {
    const hd = this.hd, o = s * H.Stride, tail = this.ageTail;
    hd[o + H.AgePrev] = tail; hd[o + H.AgeNext] = -1;
    if (tail >= 0) hd[tail * H.Stride + H.AgeNext] = s; else this.ageHead = s;
    this.ageTail = s;
  }

  private ageUnlink(s: number): void {
    const hd = this.hd, o = s * H.Stride;
    const p = hd[o + H.AgePrev], n = hd[o + H.AgeNext];
    if (p < 0 && n < 0 && this.ageHead !== s) return; // not in the list
    if (p >= 0) hd[p * H.Stride + H.AgeNext] = n; else this.ageHead = n;
    if (n >= 0) hd[n * H.Stride + H.AgePrev] = p; else this.ageTail = p;
    hd[o + H.AgePrev] = -1; hd[o + H.AgeNext] = -1;
  }

  private clsAppend(s: number): void {
    this.clsPrev[s] = this.clsTail; this.clsNext[s] = -1;
    if (this.clsTail >= 0) this.clsNext[this.clsTail] = s; else this.clsHead = s;
    this.clsTail = s;
  }

  private clsUnlink(s: number): void {
    const p = this.clsPrev[s], n = this.clsNext[s];
    if (p >= 0) this.clsNext[p] = n; else this.clsHead = n;
    if (n >= 0) this.clsPrev[n] = p; else this.clsTail = p;
    this.clsPrev[s] = -1; this.clsNext[s] = -1;
  }
}
