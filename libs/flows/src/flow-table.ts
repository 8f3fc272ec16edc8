/**
 * Bidirectional flow table: decoded packets in, finished FlowV1 records out.
 *
 * Mechanism only (what the packets say); detection policy lives elsewhere. Hot path rules:
 * `add()` reads the reusable PacketRecord, touches typed arrays only, never allocates and
 * never throws. Allocation happens once per exported flow (the FlowV1 object).
 *
 * Lookup: open addressing with linear probing over `index` (slot numbers, -1 empty), the
 * canonical key in FlowStore.key; deletion by backward shift, so no tombstones pile up
 * under churn (a SYN flood creates and evicts a flow per packet).
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
import { computeFeatures } from './features';
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

// Hot-path constants and functions are module-level locals on purpose: compiled to CommonJS
// (swc), every imported binding and const enum member becomes a getter call on the other
// module's exports object, on every packet.
const KEY_WORDS = 11, KEY_PORTS = 8, KEY_PROTO_VLAN = 9, KEY_KIND = 10;
const KIND_NORMAL = 0, KIND_FRAGMENTS = 1;
// Tcp bits (see flow-store.ts).
const T_SYN_FWD = 1, T_SYNACK_BWD = 2, T_HANDSHAKE = 4, T_FIN_FWD = 8, T_FIN_BWD = 16, T_RST_FWD = 32, T_RST_BWD = 64,
  T_CLOSING = 128, T_SYN_SEEN = 256;
const hashKey = flowKey.hashKey;
const flowIdHashed = flowKey.flowIdHashed;
const hashString = flowKey.hashString;

const SYN = 0x02, ACK = 0x10, FIN = 0x01, RST = 0x04, PSH = 0x08, URG = 0x20, ECE = 0x40, CWR = 0x80;
const SUBFLOW_GAP_US = 1_000_000;
const EXPIRE_STEP_US = 1000;
const BULK_GAP_US = 1_000_000;

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

  private readonly st = new FlowStore();
  private index = new Int32Array(0);
  private mask = 0;
  private readonly seed: number;
  private readonly sensorHash: number;
  private readonly scratch = new Uint32Array(KEY_WORDS);
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
    // Random per-table seed: an attacker cannot aim packets at one probe chain. Output does
    // not depend on it (exports follow packet time and list order, never hash order).
    this.seed = (Math.random() * 0x100000000) >>> 0;
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
    return this.st.byteLength() + this.index.byteLength + this.free.byteLength;
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
    const ts = rec.tsUs;
    // Untrusted input: a time that is not a finite, non-negative number would poison the clock.
    if (!(ts >= 0 && ts < 1e17)) {
      c.badTime++;
      return false;
    }
    if (ts > this.clockUs) {
      this.clockUs = ts;
      // Expiry scans run at most once per EXPIRE_STEP_US of packet time (a flow's own
      // deadlines are still checked when its next packet arrives, below); advance() always scans.
      if (ts >= this.nextExpireUs) {
        this.nextExpireUs = ts + EXPIRE_STEP_US;
        this.expire(ts);
      }
    } else if (ts < this.clockUs) {
      c.outOfOrder++;
    }

    // ---- canonical key ----
    const k = this.scratch;
    const src = rec.src, dst = rec.dst;
    let sp = rec.srcPort, dp = rec.dstPort;
    let kind: number = KIND_NORMAL;
    if (rec.isFragment && !rec.isFirstFragment) {
      kind = KIND_FRAGMENTS;
      sp = 0; dp = 0;
      c.fragments++;
    }
    let srcIsA: boolean;
    if (src[0] !== dst[0]) srcIsA = src[0] < dst[0];
    else if (src[1] !== dst[1]) srcIsA = src[1] < dst[1];
    else if (src[2] !== dst[2]) srcIsA = src[2] < dst[2];
    else if (src[3] !== dst[3]) srcIsA = src[3] < dst[3];
    else srcIsA = sp <= dp;
    const proto = rec.proto;
    if (srcIsA) {
      k[0] = src[0]; k[1] = src[1]; k[2] = src[2]; k[3] = src[3];
      k[4] = dst[0]; k[5] = dst[1]; k[6] = dst[2]; k[7] = dst[3];
      k[KEY_PORTS] = (sp << 16) | dp;
    } else {
      k[0] = dst[0]; k[1] = dst[1]; k[2] = dst[2]; k[3] = dst[3];
      k[4] = src[0]; k[5] = src[1]; k[6] = src[2]; k[7] = src[3];
      k[KEY_PORTS] = (dp << 16) | sp;
    }
    k[KEY_PROTO_VLAN] = proto | ((rec.vlanOuter & 0xfff) << 8) | ((rec.vlanInner & 0xfff) << 20);
    k[KEY_KIND] = kind;

    const st = this.st;
    const flags = proto === 6 && kind === KIND_NORMAL ? rec.tcpFlags : 0;
    // One-entry cache: consecutive packets of one flow (bulk transfers, request/response) skip
    // hashing and probing.
    let s = this.lastSlot;
    if (s >= 0) {
      const key = st.key, o = s * KEY_WORDS;
      if (key[o] !== k[0] || key[o + 1] !== k[1] || key[o + 2] !== k[2] || key[o + 3] !== k[3] ||
        key[o + 4] !== k[4] || key[o + 5] !== k[5] || key[o + 6] !== k[6] || key[o + 7] !== k[7] ||
        key[o + 8] !== k[8] || key[o + 9] !== k[9] || key[o + 10] !== k[10]) s = -1;
    }
    let h = 0;
    if (s < 0) {
      h = hashKey(k, 0, this.seed);
      s = this.find(h);
    }
    let created = false;
    if (s >= 0) {
      if (st.pkts[2 * s] + st.pkts[2 * s + 1] === 0) {
        // Dormant slot (continuation after an active timeout): this packet starts the new record.
        this.startRecord(s, ts);
        created = true;
      } else if (ts - st.lastUs[s] > this.idleUs) {
        // The watermark did not expire it (out-of-order input): same rule as expire().
        this.exportSlot(s, 'idle');
        this.restart(s, ts, srcIsA, flags);
        created = true;
      } else if ((st.tcp[s] & T_CLOSING) !== 0 && (flags & (SYN | ACK)) === SYN) {
        // A new connection on a closed 4-tuple (port reuse, SYN retry after a reject).
        this.exportSlot(s, this.closeReason(s));
        this.restart(s, ts, srcIsA, flags);
        created = true;
      } else {
        this.lruTouch(s);
      }
    } else {
      s = this.insert(h, ts, srcIsA, flags);
      created = true;
    }
    this.update(s, rec, ts, srcIsA, flags, kind);
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
    let s = this.lruHead;
    while (s >= 0) {
      const next = this.st.lruNext[s];
      const st = this.st;
      if (st.pkts[2 * s] + st.pkts[2 * s + 1] > 0) {
        const reason: EndReason = (st.tcp[s] & T_CLOSING) !== 0 ? this.closeReason(s) : 'end_of_input';
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
    while (this.clsHead >= 0 && st.closeAtUs[this.clsHead] <= now) {
      const s = this.clsHead;
      this.exportSlot(s, this.closeReason(s));
      this.removeSlot(s);
    }
    // Idle: no packet for more than idleUs.
    while (this.lruHead >= 0 && now - st.lastUs[this.lruHead] > this.idleUs) {
      const s = this.lruHead;
      if (st.pkts[2 * s] + st.pkts[2 * s + 1] > 0) this.exportSlot(s, 'idle');
      this.removeSlot(s);
    }
    // Active: the record has run for activeUs; export and continue as a new record.
    while (this.ageHead >= 0 && now - st.startUs[this.ageHead] >= this.activeUs) {
      const s = this.ageHead;
      this.exportSlot(s, 'active');
      this.ageUnlink(s);
      const keep = st.tcp[s] & ~T_CLOSING;
      if ((st.tcp[s] & T_CLOSING) !== 0) this.clsUnlink(s);
      st.clearStats(s);
      st.tcp[s] = keep;
    }
  }

  private closeReason(s: number): EndReason {
    return (this.st.tcp[s] & (T_RST_FWD | T_RST_BWD)) !== 0 ? 'rst' : 'fin';
  }

  // ------------------------------------------------------------------ hash table

  /** Slot holding the key in `scratch` (hash h), or -1. */
  private find(h: number): number {
    const idx = this.index, key = this.st.key, hs = this.st.hash, k = this.scratch, mask = this.mask;
    let i = h & mask;
    for (;;) {
      const s = idx[i];
      if (s < 0) return -1;
      if (hs[s] === h) {
        const o = s * KEY_WORDS;
        if (key[o] === k[0] && key[o + 1] === k[1] && key[o + 2] === k[2] && key[o + 3] === k[3] &&
          key[o + 4] === k[4] && key[o + 5] === k[5] && key[o + 6] === k[6] && key[o + 7] === k[7] &&
          key[o + 8] === k[8] && key[o + 9] === k[9] && key[o + 10] === k[10]) return s;
      }
      i = (i + 1) & mask;
    }
  }

  /** Opens a new flow for the key in `scratch`; evicts the least recently seen flow when full. */
  private insert(h: number, ts: number, srcIsA: boolean, flags: number): number {
    if (this.live >= this.maxFlows) {
      const v = this.lruHead;
      const st = this.st;
      if (st.pkts[2 * v] + st.pkts[2 * v + 1] > 0) {
        this.counters.evicted++;
        this.exportSlot(v, 'evicted');
      }
      this.removeSlot(v);
    } else if (this.freeTop === 0) {
      this.grow(Math.min(this.maxFlows, this.st.cap * 2));
    }
    const s = this.free[--this.freeTop];
    const st = this.st;
    st.key.set(this.scratch, s * KEY_WORDS);
    st.hash[s] = h;
    let i = h & this.mask;
    while (this.index[i] >= 0) i = (i + 1) & this.mask;
    this.index[i] = s;
    this.live++;
    if (this.live > this.counters.peakFlows) this.counters.peakFlows = this.live;
    st.tcp[s] = 0;
    st.lruPrev[s] = -1; st.lruNext[s] = -1; st.agePrev[s] = -1; st.ageNext[s] = -1;
    st.clsPrev[s] = -1; st.clsNext[s] = -1;
    this.lruAppend(s);
    this.initRecord(s, ts, srcIsA, flags);
    return s;
  }

  /** Starts a fresh record (new initiator) in a slot whose previous record was just exported. */
  private restart(s: number, ts: number, srcIsA: boolean, flags: number): void {
    const st = this.st;
    this.ageUnlink(s);
    if ((st.tcp[s] & T_CLOSING) !== 0) this.clsUnlink(s);
    st.tcp[s] = 0;
    this.lruTouch(s);
    this.initRecord(s, ts, srcIsA, flags);
  }

  private initRecord(s: number, ts: number, srcIsA: boolean, flags: number): void {
    const st = this.st;
    st.clearStats(s);
    // The sender of the first packet initiates, except that a SYN-ACK seen first means the
    // other side sent the (unseen) SYN.
    const synAckFirst = (flags & (SYN | ACK)) === (SYN | ACK);
    st.initIsA[s] = srcIsA !== synAckFirst ? 1 : 0;
    if ((flags & SYN) !== 0) st.tcp[s] |= T_SYN_SEEN;
    this.startRecord(s, ts);
  }

  /** Marks the record start (first packet or continuation after an active timeout). */
  private startRecord(s: number, ts: number): void {
    const st = this.st;
    st.startUs[s] = ts;
    st.lastUs[s] = ts;
    st.actStartUs[s] = ts;
    st.subflows[s] = 1;
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
    if ((st.tcp[s] & T_CLOSING) !== 0) this.clsUnlink(s);
    st.tcp[s] = 0;
    // Backward-shift deletion.
    const idx = this.index, mask = this.mask, hs = st.hash;
    let i = hs[s] & mask;
    while (idx[i] !== s) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const t = idx[j];
      if (t < 0) break;
      const home = hs[t] & mask;
      // Move t back to the hole at i unless its home lies cyclically in (i, j].
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!between) {
        idx[i] = t;
        i = j;
      }
    }
    idx[i] = -1;
    st.pkts[2 * s] = 0; st.pkts[2 * s + 1] = 0;
    this.free[this.freeTop++] = s;
    this.live--;
  }

  private grow(n: number): void {
    const old = this.st.cap;
    if (n <= old) return;
    this.st.resize(n);
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
    const st = this.st;
    for (let s = this.lruHead; s >= 0; s = st.lruNext[s]) {
      let i = st.hash[s] & this.mask;
      while (this.index[i] >= 0) i = (i + 1) & this.mask;
      this.index[i] = s;
    }
  }

  // ------------------------------------------------------------------ per-packet statistics

  private update(s: number, rec: PacketRecord, ts: number, srcIsA: boolean, flags: number, kind: number): void {
    const st = this.st;
    // Direction: 0 = forward (from the initiator).
    let d = (srcIsA ? 1 : 0) === st.initIsA[s] ? 0 : 1;
    if (flags !== 0) {
      const t = st.tcp[s];
      if ((flags & (SYN | ACK)) === SYN && (t & T_SYN_SEEN) === 0) {
        // First SYN arrives after other packets of the flow: its sender is the initiator.
        if (d === 1) { st.swapDirections(s); d = 0; }
        st.tcp[s] |= T_SYN_SEEN;
      }
    }
    const i = 2 * s + d;
    const n = st.pkts[i] + 1;
    st.pkts[i] = n;
    const wire = rec.wireLen;
    st.wire[i] += wire;
    // Untrusted input: lengths from a damaged header must not wrap the Uint32 counters.
    const pay = rec.payloadLen > 0 ? rec.payloadLen : 0;
    st.pay[i] += pay;
    st.paySq[i] += pay * pay;
    const hdr = rec.l4HdrLen > 0 ? rec.l4HdrLen : 0;
    st.hdr[i] += hdr;
    if (n === 1) {
      this.firstOfDirection(i, rec, pay, hdr, kind);
    } else {
      if (pay < st.payMin[i]) st.payMin[i] = pay;
      if (pay > st.payMax[i]) st.payMax[i] = pay;
      if (hdr < st.hdrMin[i]) st.hdrMin[i] = hdr;
      let iat = ts - st.dLastUs[i];
      if (iat < 0) iat = 0;
      if (n === 2) { st.dIatMin[i] = iat; st.dIatMax[i] = iat; }
      else {
        if (iat < st.dIatMin[i]) st.dIatMin[i] = iat;
        if (iat > st.dIatMax[i]) st.dIatMax[i] = iat;
      }
      st.dIatSum[i] += iat;
      st.dIatSq[i] += iat * iat;
    }
    if (ts > st.dLastUs[i] || n === 1) st.dLastUs[i] = ts;
    if (pay === 0) st.noPay[i]++;
    if (kind !== KIND_NORMAL || rec.isFragment) st.frags[i]++;

    // Flow-level IAT, subflows and active/idle periods.
    const total = st.pkts[2 * s] + st.pkts[2 * s + 1];
    if (total > 1) {
      const last = st.lastUs[s];
      let iat = ts - last;
      if (iat < 0) iat = 0;
      if (total === 2) { st.iatMin[s] = iat; st.iatMax[s] = iat; }
      else {
        if (iat < st.iatMin[s]) st.iatMin[s] = iat;
        if (iat > st.iatMax[s]) st.iatMax[s] = iat;
      }
      st.iatSum[s] += iat;
      st.iatSq[s] += iat * iat;
      if (iat > SUBFLOW_GAP_US) st.subflows[s]++;
      if (iat > this.activityUs) {
        const active = last - st.actStartUs[s];
        if (active > 0) this.addActive(s, active);
        this.addIdle(s, iat);
        st.actStartUs[s] = ts;
      }
      if (ts > last) st.lastUs[s] = ts;
    }

    // Bulk (CICFlowMeter): >= 4 payload packets one way, gaps <= 1 s, none the other way between.
    if (st.bLastUs[i ^ 1] > st.bStartUs[i]) st.bStartUs[i] = -1;
    if (pay > 0) this.bulk(i, ts, pay);

    // TCP flags and connection state.
    if (flags !== 0) this.tcpFlags(s, i, d, flags, ts);
  }

  /** First packet of a direction: minima, initial TTL and window. */
  private firstOfDirection(i: number, rec: PacketRecord, pay: number, hdr: number, kind: number): void {
    const st = this.st;
    st.payMin[i] = pay; st.payMax[i] = pay; st.hdrMin[i] = hdr;
    st.ttl[i] = rec.ttl;
    if (rec.proto === 6 && kind === KIND_NORMAL) st.initWin[i] = rec.window;
  }

  /** A payload packet in direction index i: CICFlowMeter's bulk bookkeeping. */
  private bulk(i: number, ts: number, pay: number): void {
    const st = this.st;
    if (st.bStartUs[i] < 0 || ts - st.bLastUs[i] > BULK_GAP_US) {
      st.bStartUs[i] = ts; st.bLastUs[i] = ts; st.bCntH[i] = 1; st.bSizeH[i] = pay;
    } else {
      const cnt = st.bCntH[i] + 1;
      st.bCntH[i] = cnt;
      st.bSizeH[i] += pay;
      if (cnt === 4) {
        st.bStates[i]++; st.bPkts[i] += 4; st.bBytes[i] += st.bSizeH[i]; st.bDurUs[i] += ts - st.bStartUs[i];
      } else if (cnt > 4) {
        st.bPkts[i]++; st.bBytes[i] += pay; st.bDurUs[i] += ts - st.bLastUs[i];
      }
      st.bLastUs[i] = ts;
    }
  }

  /** TCP flag counters and the connection state machine (slot s, direction index i, d 0 = forward). */
  private tcpFlags(s: number, i: number, d: number, flags: number, ts: number): void {
    const st = this.st;
    let t = st.tcp[s];
    if ((flags & FIN) !== 0) { st.fin[i]++; t |= d === 0 ? T_FIN_FWD : T_FIN_BWD; }
    if ((flags & SYN) !== 0) {
      st.syn[i]++;
      if ((flags & ACK) !== 0) { st.synAck[i]++; if (d === 1) t |= T_SYNACK_BWD; }
      else if (d === 0) t |= T_SYN_FWD;
    } else if ((flags & ACK) !== 0 && d === 0 && (t & T_SYNACK_BWD) !== 0) {
      t |= T_HANDSHAKE;
    }
    if ((flags & RST) !== 0) { st.rst[i]++; t |= d === 0 ? T_RST_FWD : T_RST_BWD; }
    if ((flags & PSH) !== 0) st.psh[i]++;
    if ((flags & ACK) !== 0) st.ack[i]++;
    if ((flags & URG) !== 0) st.urg[i]++;
    if ((flags & ECE) !== 0) st.ece[i]++;
    if ((flags & CWR) !== 0) st.cwr[i]++;
    if ((t & T_CLOSING) === 0 &&
      ((t & (T_RST_FWD | T_RST_BWD)) !== 0 || (t & (T_FIN_FWD | T_FIN_BWD)) === (T_FIN_FWD | T_FIN_BWD))) {
      t |= T_CLOSING;
      st.tcp[s] = t;
      st.closeAtUs[s] = ts + this.graceUs;
      this.clsAppend(s);
    } else {
      st.tcp[s] = t;
    }
  }

  private addActive(s: number, v: number): void {
    const st = this.st;
    if (st.actCnt[s] === 0 || v < st.actMin[s]) st.actMin[s] = v;
    if (v > st.actMax[s]) st.actMax[s] = v;
    st.actSum[s] += v; st.actSq[s] += v * v; st.actCnt[s]++;
  }

  private addIdle(s: number, v: number): void {
    const st = this.st;
    if (st.idlCnt[s] === 0 || v < st.idlMin[s]) st.idlMin[s] = v;
    if (v > st.idlMax[s]) st.idlMax[s] = v;
    st.idlSum[s] += v; st.idlSq[s] += v * v; st.idlCnt[s]++;
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
    // Close the last active period (CICFlowMeter endActiveIdleTime).
    const active = st.lastUs[s] - st.actStartUs[s];
    if (active > 0) this.addActive(s, active);

    const o = s * KEY_WORDS;
    const k = st.key;
    const aIsInit = st.initIsA[s] === 1;
    const ports = k[o + KEY_PORTS];
    const portA = ports >>> 16, portB = ports & 0xffff;
    const pv = k[o + KEY_PROTO_VLAN];
    const proto = pv & 0xff;
    const srcPort = aIsInit ? portA : portB;
    const dstPort = aIsInit ? portB : portA;
    const fwd = 2 * s, bwd = fwd + 1;
    let service: string;
    if (k[o + KEY_KIND] === KIND_FRAGMENTS) service = serviceName(proto, 0);
    else if (isKnownServicePort(proto, dstPort) || !isKnownServicePort(proto, srcPort)) service = serviceName(proto, dstPort);
    else service = serviceName(proto, srcPort);
    const flow: FlowV1 = {
      id: flowIdHashed(this.sensorHash, k, st.startUs[s], o),
      sensor: this.sensor,
      proto,
      srcIp: formatAddress(k, aIsInit ? o : o + 4),
      srcPort,
      dstIp: formatAddress(k, aIsInit ? o + 4 : o),
      dstPort,
      vlan: (pv >>> 8) & 0xfff,
      vlanInner: (pv >>> 20) & 0xfff,
      start: st.startUs[s] / 1e6,
      end: st.lastUs[s] / 1e6,
      endReason: reason,
      state: this.state(s, proto),
      service,
      fwdPackets: st.pkts[fwd],
      bwdPackets: st.pkts[bwd],
      fwdBytes: st.wire[fwd],
      bwdBytes: st.wire[bwd],
      features: computeFeatures(st, s, k[o + KEY_KIND] === KIND_FRAGMENTS),
    };
    this.onFlow(flow);
  }

  private state(s: number, proto: number): FlowV1['state'] {
    const st = this.st;
    if (proto !== 6) return st.pkts[2 * s + 1] > 0 ? 'two_way' : 'one_way';
    const t = st.tcp[s];
    const rst = (t & (T_RST_FWD | T_RST_BWD)) !== 0;
    if ((t & T_HANDSHAKE) !== 0) return rst ? 'reset' : 'established';
    if ((t & T_SYN_FWD) !== 0) return (t & T_RST_BWD) !== 0 ? 'rejected' : 'half_open';
    return rst ? 'reset' : 'ongoing';
  }

  // ------------------------------------------------------------------ lists

  private lruAppend(s: number): void {
    const st = this.st;
    st.lruPrev[s] = this.lruTail; st.lruNext[s] = -1;
    if (this.lruTail >= 0) st.lruNext[this.lruTail] = s; else this.lruHead = s;
    this.lruTail = s;
  }

  private lruUnlink(s: number): void {
    const st = this.st;
    const p = st.lruPrev[s], n = st.lruNext[s];
    if (p >= 0) st.lruNext[p] = n; else this.lruHead = n;
    if (n >= 0) st.lruPrev[n] = p; else this.lruTail = p;
    st.lruPrev[s] = -1; st.lruNext[s] = -1;
  }

  private lruTouch(s: number): void {
    if (this.lruTail === s) return;
    this.lruUnlink(s);
    this.lruAppend(s);
  }

  private ageAppend(s: number): void {
    const st = this.st;
    st.agePrev[s] = this.ageTail; st.ageNext[s] = -1;
    if (this.ageTail >= 0) st.ageNext[this.ageTail] = s; else this.ageHead = s;
    this.ageTail = s;
  }

  private ageUnlink(s: number): void {
    const st = this.st;
    const p = st.agePrev[s], n = st.ageNext[s];
    if (p < 0 && n < 0 && this.ageHead !== s) return; // not in the list
    if (p >= 0) st.ageNext[p] = n; else this.ageHead = n;
    if (n >= 0) st.agePrev[n] = p; else this.ageTail = p;
    st.agePrev[s] = -1; st.ageNext[s] = -1;
  }

  private clsAppend(s: number): void {
    const st = this.st;
    st.clsPrev[s] = this.clsTail; st.clsNext[s] = -1;
    if (this.clsTail >= 0) st.clsNext[this.clsTail] = s; else this.clsHead = s;
    this.clsTail = s;
  }

  private clsUnlink(s: number): void {
    const st = this.st;
    const p = st.clsPrev[s], n = st.clsNext[s];
    if (p >= 0) st.clsNext[p] = n; else this.clsHead = n;
    if (n >= 0) st.clsPrev[n] = p; else this.clsTail = p;
    st.clsPrev[s] = -1; st.clsNext[s] = -1;
  }
}
