/**
 * Struct-of-typed-arrays state of every live flow record. Slot `s` owns index `s` of the
 * per-flow arrays, `2s + d` of the per-direction arrays (d = 0 forward = initiator's packets,
 * d = 1 backward) and `KEY_WORDS * s ...` of the key. No object per flow or per packet; the
 * arrays grow by doubling up to the table's maxFlows.
 */
import { KEY_WORDS } from './flow-key';

/** Bits of `tcp[s]`: what the TCP state machine has seen (mirrored as T_* constants in flow-table.ts). */
export const enum Tcp {
  SynFwd = 1,
  SynAckBwd = 2,
  HandshakeDone = 4,
  FinFwd = 8,
  FinBwd = 16,
  RstFwd = 32,
  RstBwd = 64,
  /** In the close list, waiting for the grace period. */
  Closing = 128,
  /** A SYN has been seen (any direction): the initiator is fixed. */
  SynSeen = 256,
}

type Arr = Float64Array | Uint32Array | Int32Array | Uint8Array;

function grown<T extends Arr>(a: T, n: number, fill?: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  if (fill !== undefined && fill !== 0) b.fill(fill);
  b.set(a);
  return b;
}

export class FlowStore {
  cap = 0;
  /** Canonical key words, KEY_WORDS per slot. */
  key = new Uint32Array(0);
  /** Hash of the key (kept to probe and to move entries without rehashing). */
  hash = new Uint32Array(0);
  /** 1 when endpoint A (the lower one in the key) is the initiator. */
  initIsA = new Uint8Array(0);
  /** Tcp bits. */
  tcp = new Uint32Array(0);

  // ---- per flow (index s) ----
  startUs = new Float64Array(0);
  lastUs = new Float64Array(0);
  closeAtUs = new Float64Array(0);
  /** Start of the current active period (CICFlowMeter Active/Idle). */
  actStartUs = new Float64Array(0);
  /** Flow IAT (both directions) min / max / sum / sum of squares, count = packets - 1. */
  iatMin = new Float64Array(0);
  iatMax = new Float64Array(0);
  iatSum = new Float64Array(0);
  iatSq = new Float64Array(0);
  actMin = new Float64Array(0);
  actMax = new Float64Array(0);
  actSum = new Float64Array(0);
  actSq = new Float64Array(0);
  actCnt = new Uint32Array(0);
  idlMin = new Float64Array(0);
  idlMax = new Float64Array(0);
  idlSum = new Float64Array(0);
  idlSq = new Float64Array(0);
  idlCnt = new Uint32Array(0);
  /** Subflows: 1 + number of gaps > 1 s. */
  subflows = new Uint32Array(0);

  // ---- per direction (index 2s + d) ----
  pkts = new Uint32Array(0);
  /** Frame bytes on the wire. */
  wire = new Float64Array(0);
  /** Transport payload bytes (CICFlowMeter "packet length"). */
  pay = new Float64Array(0);
  paySq = new Float64Array(0);
  payMin = new Uint32Array(0);
  payMax = new Uint32Array(0);
  dLastUs = new Float64Array(0);
  dIatMin = new Float64Array(0);
  dIatMax = new Float64Array(0);
  dIatSum = new Float64Array(0);
  dIatSq = new Float64Array(0);
  /** Transport header bytes (TCP header incl. options, UDP/ICMP 8). */
  hdr = new Float64Array(0);
  hdrMin = new Uint32Array(0);
  noPay = new Uint32Array(0);
  initWin = new Int32Array(0);
  ttl = new Uint32Array(0);
  fin = new Uint32Array(0);
  syn = new Uint32Array(0);
  synAck = new Uint32Array(0);
  rst = new Uint32Array(0);
  psh = new Uint32Array(0);
  ack = new Uint32Array(0);
  urg = new Uint32Array(0);
  ece = new Uint32Array(0);
  cwr = new Uint32Array(0);
  frags = new Uint32Array(0);
  /** Bulk transfer state (CICFlowMeter bulk features). */
  bStartUs = new Float64Array(0);
  bLastUs = new Float64Array(0);
  bCntH = new Uint32Array(0);
  bSizeH = new Float64Array(0);
  bStates = new Uint32Array(0);
  bPkts = new Float64Array(0);
  bBytes = new Float64Array(0);
  bDurUs = new Float64Array(0);

  // ---- intrusive lists (index s; -1 = none) ----
  /** Least recently seen first: idle expiry and eviction. */
  lruPrev = new Int32Array(0);
  lruNext = new Int32Array(0);
  /** Record start order: active timeout. Only slots holding packets. */
  agePrev = new Int32Array(0);
  ageNext = new Int32Array(0);
  /** Closing TCP flows in close-deadline order. */
  clsPrev = new Int32Array(0);
  clsNext = new Int32Array(0);

  /** Grows every array to `n` slots, keeping contents. */
  resize(n: number): void {
    const n2 = n * 2;
    this.key = grown(this.key, n * KEY_WORDS);
    this.hash = grown(this.hash, n);
    this.initIsA = grown(this.initIsA, n);
    this.tcp = grown(this.tcp, n);
    for (const f of ['startUs', 'lastUs', 'closeAtUs', 'actStartUs', 'iatMin', 'iatMax', 'iatSum', 'iatSq',
      'actMin', 'actMax', 'actSum', 'actSq', 'idlMin', 'idlMax', 'idlSum', 'idlSq'] as const) {
      this[f] = grown(this[f], n);
    }
    this.actCnt = grown(this.actCnt, n);
    this.idlCnt = grown(this.idlCnt, n);
    this.subflows = grown(this.subflows, n);
    for (const f of ['wire', 'pay', 'paySq', 'dLastUs', 'dIatMin', 'dIatMax', 'dIatSum', 'dIatSq', 'hdr',
      'bStartUs', 'bLastUs', 'bSizeH', 'bPkts', 'bBytes', 'bDurUs'] as const) {
      this[f] = grown(this[f], n2);
    }
    for (const f of ['pkts', 'payMin', 'payMax', 'hdrMin', 'noPay', 'ttl', 'fin', 'syn', 'synAck', 'rst', 'psh',
      'ack', 'urg', 'ece', 'cwr', 'frags', 'bCntH', 'bStates'] as const) {
      this[f] = grown(this[f], n2);
    }
    this.initWin = grown(this.initWin, n2);
    for (const f of ['lruPrev', 'lruNext', 'agePrev', 'ageNext', 'clsPrev', 'clsNext'] as const) {
      this[f] = grown(this[f], n, -1);
    }
    this.cap = n;
  }

  /** Clears the statistics of slot `s` (key, lists and TCP bits are the caller's business). */
  clearStats(s: number): void {
    this.startUs[s] = 0; this.closeAtUs[s] = 0; this.actStartUs[s] = 0;
    this.iatMin[s] = 0; this.iatMax[s] = 0; this.iatSum[s] = 0; this.iatSq[s] = 0;
    this.actMin[s] = 0; this.actMax[s] = 0; this.actSum[s] = 0; this.actSq[s] = 0; this.actCnt[s] = 0;
    this.idlMin[s] = 0; this.idlMax[s] = 0; this.idlSum[s] = 0; this.idlSq[s] = 0; this.idlCnt[s] = 0;
    this.subflows[s] = 0;
    for (let i = 2 * s; i < 2 * s + 2; i++) {
      this.pkts[i] = 0; this.wire[i] = 0; this.pay[i] = 0; this.paySq[i] = 0; this.payMin[i] = 0; this.payMax[i] = 0;
      this.dLastUs[i] = 0; this.dIatMin[i] = 0; this.dIatMax[i] = 0; this.dIatSum[i] = 0; this.dIatSq[i] = 0;
      this.hdr[i] = 0; this.hdrMin[i] = 0; this.noPay[i] = 0; this.initWin[i] = -1; this.ttl[i] = 0;
      this.fin[i] = 0; this.syn[i] = 0; this.synAck[i] = 0; this.rst[i] = 0; this.psh[i] = 0; this.ack[i] = 0;
      this.urg[i] = 0; this.ece[i] = 0; this.cwr[i] = 0; this.frags[i] = 0;
      this.bStartUs[i] = -1; this.bLastUs[i] = -1; this.bCntH[i] = 0; this.bSizeH[i] = 0; this.bStates[i] = 0;
      this.bPkts[i] = 0; this.bBytes[i] = 0; this.bDurUs[i] = 0;
    }
  }

  /** Swaps forward and backward statistics of slot `s` (the initiator turned out to be the other side). */
  swapDirections(s: number): void {
    const a = 2 * s, b = a + 1;
    for (const arr of [this.pkts, this.wire, this.pay, this.paySq, this.payMin, this.payMax, this.dLastUs,
      this.dIatMin, this.dIatMax, this.dIatSum, this.dIatSq, this.hdr, this.hdrMin, this.noPay, this.initWin,
      this.ttl, this.fin, this.syn, this.synAck, this.rst, this.psh, this.ack, this.urg, this.ece, this.cwr,
      this.frags, this.bStartUs, this.bLastUs, this.bCntH, this.bSizeH, this.bStates, this.bPkts, this.bBytes,
      this.bDurUs]) {
      const t = arr[a]; arr[a] = arr[b]; arr[b] = t;
    }
    // TCP bits are direction-relative too.
    let t = this.tcp[s];
    const swapBits = (x: number, p: number, q: number): number => {
      const hp = (x & p) !== 0, hq = (x & q) !== 0;
      x &= ~(p | q);
      if (hp) x |= q;
      if (hq) x |= p;
      return x;
    };
    t = swapBits(t, Tcp.FinFwd, Tcp.FinBwd);
    t = swapBits(t, Tcp.RstFwd, Tcp.RstBwd);
    t &= ~(Tcp.SynFwd | Tcp.SynAckBwd | Tcp.HandshakeDone);
    this.tcp[s] = t;
    this.initIsA[s] ^= 1;
  }

  /** Bytes held by the arrays (for the memory bound report). */
  byteLength(): number {
    let n = 0;
    for (const v of Object.values(this)) if (ArrayBuffer.isView(v)) n += v.byteLength;
    return n;
  }
}
