/**
 * State of every live flow record, array-of-structs: slot `s` owns one stride of a Float64Array
 * (times, sums, sums of squares, minima/maxima, packet and byte counts) and one stride of an
 * Int32Array (TCP bits, flag and event counters). Each stride holds the per-flow fields and then
 * one block per direction (d = 0 forward = the initiator's packets, d = 1 backward), so a packet
 * touches a few adjacent cache lines through two base pointers instead of ~40 separate arrays.
 * No object per flow or per packet; the blocks grow by doubling up to the table's maxFlows.
 *
 * The per-packet accumulation (`update`) lives here, next to the layout: the offsets are a
 * file-local `const enum`, which the compiler (swc, tsc) inlines as literals. Imported constants
 * would be property loads, and module-level `const`s context-slot loads, on every field access.
 * Other files read fields through `SLOT` (export time only).
 *
 * Integer counters in the Int32Array are read as unsigned (`>>> 0`), the same values the former
 * Uint32Array columns held; counts in the Float64Array are exact to 2^53.
 */
import type { PacketRecord } from '@netsentry/packets';

/** Bits of the TCP state word: what the TCP state machine has seen (mirrored as T_* constants in flow-table.ts). */
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

/** Float64 block: per-flow fields (offsets from the slot's base). */
const enum F {
  StartUs = 0,
  LastUs = 1,
  CloseAtUs = 2,
  /** Start of the current active period (CICFlowMeter Active/Idle). */
  ActStartUs = 3,
  /** Flow IAT (both directions) min / max / sum / sum of squares, count = packets - 1. */
  IatMin = 4, IatMax = 5, IatSum = 6, IatSq = 7,
  ActMin = 8, ActMax = 9, ActSum = 10, ActSq = 11,
  IdlMin = 12, IdlMax = 13, IdlSum = 14, IdlSq = 15,
  /** First direction block. */
  Dir = 16,
  /** Doubles per direction block (see FD). */
  DirSize = 20,
  /** Doubles per slot: Dir + 2 * DirSize. */
  Stride = 56,
}

/** Float64 block: per-direction fields (offsets from the direction's base). */
const enum FD {
  Pkts = 0,
  /** Frame bytes on the wire. */
  Wire = 1,
  /** Transport payload bytes (CICFlowMeter "packet length"). */
  Pay = 2, PaySq = 3, PayMin = 4, PayMax = 5,
  DLastUs = 6, DIatMin = 7, DIatMax = 8, DIatSum = 9, DIatSq = 10,
  /** Transport header bytes (TCP header incl. options, UDP/ICMP 8). */
  Hdr = 11, HdrMin = 12,
  /** Bulk transfer state (CICFlowMeter bulk features). */
  BStartUs = 13, BLastUs = 14, BCntH = 15, BSizeH = 16, BPkts = 17, BBytes = 18, BDurUs = 19,
}

/** Int32 block: per-flow fields, then two direction blocks. */
const enum I {
  /** Tcp bits. */
  Tcp = 0,
  /** 1 when endpoint A (the lower one in the key) is the initiator. */
  InitIsA = 1,
  ActCnt = 2,
  IdlCnt = 3,
  /** Subflows: 1 + number of gaps > 1 s. */
  Subflows = 4,
  Dir = 5,
  DirSize = 14,
  /** Int32 words per slot: Dir + 2 * DirSize. */
  Stride = 33,
}

/** Int32 block: per-direction fields. */
const enum ID {
  NoPay = 0, InitWin = 1, Ttl = 2,
  Fin = 3, Syn = 4, SynAck = 5, Rst = 6, Psh = 7, Ack = 8, Urg = 9, Ece = 10, Cwr = 11,
  Frags = 12, BStates = 13,
}

/** Field offsets for readers outside this file (export time, never per packet). */
export const SLOT = {
  fStride: F.Stride, fDir: F.Dir, fDirSize: F.DirSize, iStride: I.Stride, iDir: I.Dir, iDirSize: I.DirSize,
  startUs: F.StartUs, lastUs: F.LastUs, iatMin: F.IatMin, iatMax: F.IatMax, iatSum: F.IatSum, iatSq: F.IatSq,
  actMin: F.ActMin, actMax: F.ActMax, actSum: F.ActSum, actSq: F.ActSq,
  idlMin: F.IdlMin, idlMax: F.IdlMax, idlSum: F.IdlSum, idlSq: F.IdlSq,
  pkts: FD.Pkts, wire: FD.Wire, pay: FD.Pay, paySq: FD.PaySq, payMin: FD.PayMin, payMax: FD.PayMax,
  dIatMin: FD.DIatMin, dIatMax: FD.DIatMax, dIatSum: FD.DIatSum, dIatSq: FD.DIatSq, hdr: FD.Hdr, hdrMin: FD.HdrMin,
  bPkts: FD.BPkts, bBytes: FD.BBytes, bDurUs: FD.BDurUs,
  actCnt: I.ActCnt, idlCnt: I.IdlCnt, subflows: I.Subflows,
  noPay: ID.NoPay, initWin: ID.InitWin, ttl: ID.Ttl, fin: ID.Fin, syn: ID.Syn, synAck: ID.SynAck, rst: ID.Rst,
  psh: ID.Psh, ack: ID.Ack, urg: ID.Urg, ece: ID.Ece, cwr: ID.Cwr, frags: ID.Frags, bStates: ID.BStates,
} as const;

// TCP flags and CICFlowMeter constants (literals: see above).
const enum Flag { FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20, ECE = 0x40, CWR = 0x80 }
/** A gap over 1 s starts a new subflow. */
const enum SubflowGap { Us = 1_000_000 }
/** A bulk ends after a 1 s gap. */
const enum BulkGap { Us = 1_000_000 }

export class FlowStore {
  cap = 0;
  /** Float64 fields, F.Stride per slot. */
  f = new Float64Array(0);
  /** Int32 fields, I.Stride per slot. */
  i = new Int32Array(0);

  /**
   * @param activityUs gap that ends an active period (Active/Idle features)
   * @param graceUs wait after FIN both ways / RST before a record is exported
   */
  constructor(readonly activityUs: number, readonly graceUs: number) {}

  /** Grows both blocks to `n` slots, keeping contents. */
  resize(n: number): void {
    if (n <= this.cap) return;
    const f = new Float64Array(n * F.Stride);
    f.set(this.f);
    const i = new Int32Array(n * I.Stride);
    i.set(this.i);
    this.f = f;
    this.i = i;
    this.cap = n;
  }

  /** Bytes held by the blocks (for the memory bound report). */
  byteLength(): number {
    return this.f.byteLength + this.i.byteLength;
  }

  // ------------------------------------------------------------------ record life cycle

  /** Packets of the current record, both directions (0: free or dormant slot). */
  packets(s: number): number {
    const o = s * F.Stride + F.Dir;
    return this.f[o + FD.Pkts] + this.f[o + F.DirSize + FD.Pkts];
  }

  /** Packets of the record in direction d (0 forward). */
  dirPackets(s: number, d: number): number {
    return this.f[s * F.Stride + F.Dir + d * F.DirSize + FD.Pkts];
  }

  /** Frame bytes of the record in direction d. */
  dirWire(s: number, d: number): number {
    return this.f[s * F.Stride + F.Dir + d * F.DirSize + FD.Wire];
  }

  startUs(s: number): number {
    return this.f[s * F.Stride + F.StartUs];
  }

  lastUs(s: number): number {
    return this.f[s * F.Stride + F.LastUs];
  }

  closeAtUs(s: number): number {
    return this.f[s * F.Stride + F.CloseAtUs];
  }

  /** Tcp bits of slot s. */
  tcp(s: number): number {
    return this.i[s * I.Stride + I.Tcp];
  }

  setTcp(s: number, bits: number): void {
    this.i[s * I.Stride + I.Tcp] = bits;
  }

  /** True when endpoint A of the key is the initiator. */
  initIsA(s: number): boolean {
    return this.i[s * I.Stride + I.InitIsA] === 1;
  }

  /** Clears the statistics of slot `s`; TCP bits and InitIsA are the caller's business. */
  clearStats(s: number): void {
    const f = this.f, i = this.i;
    const o = s * F.Stride;
    f.fill(0, o, o + F.Stride);
    const p = s * I.Stride;
    const keep0 = i[p + I.Tcp], keep1 = i[p + I.InitIsA];
    i.fill(0, p, p + I.Stride);
    i[p + I.Tcp] = keep0; i[p + I.InitIsA] = keep1;
    for (let d = 0; d < 2; d++) {
      const od = o + F.Dir + d * F.DirSize;
      f[od + FD.BStartUs] = -1; f[od + FD.BLastUs] = -1;
      i[p + I.Dir + d * I.DirSize + ID.InitWin] = -1;
    }
  }

  /**
   * Starts a record in slot s at time ts (first packet; statistics already cleared, or a
   * continuation after an active timeout).
   */
  startRecord(s: number, ts: number): void {
    const o = s * F.Stride;
    this.f[o + F.StartUs] = ts;
    this.f[o + F.LastUs] = ts;
    this.f[o + F.ActStartUs] = ts;
    this.i[s * I.Stride + I.Subflows] = 1;
  }

  /** Sets who initiated the record in slot s (statistics are cleared, Tcp bits reset). */
  initRecord(s: number, initIsA: boolean, synSeen: boolean): void {
    this.clearStats(s);
    const p = s * I.Stride;
    this.i[p + I.InitIsA] = initIsA ? 1 : 0;
    this.i[p + I.Tcp] = synSeen ? Tcp.SynSeen : 0;
  }

  /** Marks slot s free (no packets) so the dormant check sees it empty. */
  clearPackets(s: number): void {
    const o = s * F.Stride + F.Dir;
    this.f[o + FD.Pkts] = 0;
    this.f[o + F.DirSize + FD.Pkts] = 0;
  }

  /** Export time: closes the last active period (CICFlowMeter endActiveIdleTime). */
  closeActivePeriod(s: number): void {
    const o = s * F.Stride;
    const active = this.f[o + F.LastUs] - this.f[o + F.ActStartUs];
    if (active > 0) this.addActive(o, s * I.Stride, active);
  }

  // ------------------------------------------------------------------ per packet

  /**
   * Adds one packet (at rec.tsUs) to slot s. `srcIsA`: the packet's source is endpoint A of the key;
   * `flags`: TCP flags (0 unless a non-fragment TCP packet); `bucket`: the packet belongs to
   * the non-first-fragment bucket. Returns true when the packet closed the TCP connection (FIN
   * both ways or RST): the caller puts the slot on its close list.
   */
  update(s: number, rec: PacketRecord, srcIsA: boolean, flags: number, bucket: boolean): boolean {
    const f = this.f, iw = this.i;
    // Read here, not passed in: a double argument to a call V8 does not inline (this one is too
    // big to inline) is boxed, a heap number allocated per packet.
    const ts = rec.tsUs;
    const o = s * F.Stride, p = s * I.Stride;
    // Direction: 0 = forward (from the initiator).
    let d = (srcIsA ? 1 : 0) === iw[p + I.InitIsA] ? 0 : 1;
    if (flags !== 0 && (flags & (Flag.SYN | Flag.ACK)) === Flag.SYN && (iw[p + I.Tcp] & Tcp.SynSeen) === 0) {
      // First SYN arrives after other packets of the flow: its sender is the initiator.
      if (d === 1) { this.swapDirections(s); d = 0; }
      iw[p + I.Tcp] |= Tcp.SynSeen;
    }
    const od = o + F.Dir + d * F.DirSize;
    const pd = p + I.Dir + d * I.DirSize;
    const n = f[od + FD.Pkts] + 1;
    f[od + FD.Pkts] = n;
    f[od + FD.Wire] += rec.wireLen;
    // Untrusted input: lengths from a damaged header must not go negative.
    const pay = rec.payloadLen > 0 ? rec.payloadLen : 0;
    f[od + FD.Pay] += pay;
    f[od + FD.PaySq] += pay * pay;
    const hdr = rec.l4HdrLen > 0 ? rec.l4HdrLen : 0;
    f[od + FD.Hdr] += hdr;
    if (n === 1) {
      // First packet of a direction: minima, initial TTL and window.
      f[od + FD.PayMin] = pay; f[od + FD.PayMax] = pay; f[od + FD.HdrMin] = hdr;
      iw[pd + ID.Ttl] = rec.ttl;
      if (rec.proto === 6 && !bucket) iw[pd + ID.InitWin] = rec.window;
      f[od + FD.DLastUs] = ts;
    } else {
      if (pay < f[od + FD.PayMin]) f[od + FD.PayMin] = pay;
      if (pay > f[od + FD.PayMax]) f[od + FD.PayMax] = pay;
      if (hdr < f[od + FD.HdrMin]) f[od + FD.HdrMin] = hdr;
      const dLast = f[od + FD.DLastUs];
      let iat = ts - dLast;
      if (iat < 0) iat = 0;
      if (n === 2) { f[od + FD.DIatMin] = iat; f[od + FD.DIatMax] = iat; }
      else {
        if (iat < f[od + FD.DIatMin]) f[od + FD.DIatMin] = iat;
        if (iat > f[od + FD.DIatMax]) f[od + FD.DIatMax] = iat;
      }
      f[od + FD.DIatSum] += iat;
      f[od + FD.DIatSq] += iat * iat;
      if (ts > dLast) f[od + FD.DLastUs] = ts;
    }
    if (pay === 0) iw[pd + ID.NoPay]++;
    if (bucket || rec.isFragment) iw[pd + ID.Frags]++;

    // Flow-level IAT, subflows and active/idle periods.
    const other = o + F.Dir + (d ^ 1) * F.DirSize;
    if (n + f[other + FD.Pkts] > 1) {
      const last = f[o + F.LastUs];
      let iat = ts - last;
      if (iat < 0) iat = 0;
      if (n + f[other + FD.Pkts] === 2) { f[o + F.IatMin] = iat; f[o + F.IatMax] = iat; }
      else {
        if (iat < f[o + F.IatMin]) f[o + F.IatMin] = iat;
        if (iat > f[o + F.IatMax]) f[o + F.IatMax] = iat;
      }
      f[o + F.IatSum] += iat;
      f[o + F.IatSq] += iat * iat;
      if (iat > SubflowGap.Us) iw[p + I.Subflows]++;
      if (iat > this.activityUs) this.activityGap(o, p, ts, last, iat);
      if (ts > last) f[o + F.LastUs] = ts;
    }

    // Bulk (CICFlowMeter): >= 4 payload packets one way, gaps <= 1 s, none the other way between.
    if (f[other + FD.BLastUs] > f[od + FD.BStartUs]) f[od + FD.BStartUs] = -1;
    if (pay > 0) this.bulk(od, pd, rec, pay);

    // TCP flags and connection state.
    return flags !== 0 ? this.tcpFlags(s, p, pd, d, flags, rec) : false;
  }

  /** A gap longer than the activity timeout: close the active period, record the idle one. */
  private activityGap(o: number, p: number, ts: number, last: number, iat: number): void {
    const active = last - this.f[o + F.ActStartUs];
    if (active > 0) this.addActive(o, p, active);
    const f = this.f;
    if (this.i[p + I.IdlCnt] === 0 || iat < f[o + F.IdlMin]) f[o + F.IdlMin] = iat;
    if (iat > f[o + F.IdlMax]) f[o + F.IdlMax] = iat;
    f[o + F.IdlSum] += iat; f[o + F.IdlSq] += iat * iat; this.i[p + I.IdlCnt]++;
    f[o + F.ActStartUs] = ts;
  }

  private addActive(o: number, p: number, v: number): void {
    const f = this.f;
    if (this.i[p + I.ActCnt] === 0 || v < f[o + F.ActMin]) f[o + F.ActMin] = v;
    if (v > f[o + F.ActMax]) f[o + F.ActMax] = v;
    f[o + F.ActSum] += v; f[o + F.ActSq] += v * v; this.i[p + I.ActCnt]++;
  }

  /** A payload packet in the direction blocks od / pd: CICFlowMeter's bulk bookkeeping. */
  private bulk(od: number, pd: number, rec: PacketRecord, pay: number): void {
    const f = this.f;
    const ts = rec.tsUs;
    if (f[od + FD.BStartUs] < 0 || ts - f[od + FD.BLastUs] > BulkGap.Us) {
      f[od + FD.BStartUs] = ts; f[od + FD.BLastUs] = ts; f[od + FD.BCntH] = 1; f[od + FD.BSizeH] = pay;
    } else {
      const cnt = f[od + FD.BCntH] + 1;
      f[od + FD.BCntH] = cnt;
      f[od + FD.BSizeH] += pay;
      if (cnt === 4) {
        this.i[pd + ID.BStates]++;
        f[od + FD.BPkts] += 4; f[od + FD.BBytes] += f[od + FD.BSizeH]; f[od + FD.BDurUs] += ts - f[od + FD.BStartUs];
      } else if (cnt > 4) {
        f[od + FD.BPkts]++; f[od + FD.BBytes] += pay; f[od + FD.BDurUs] += ts - f[od + FD.BLastUs];
      }
      f[od + FD.BLastUs] = ts;
    }
  }

  /** TCP flag counters and the connection state machine. Returns true when the connection just closed. */
  private tcpFlags(s: number, p: number, pd: number, d: number, flags: number, rec: PacketRecord): boolean {
    const iw = this.i;
    let t = iw[p + I.Tcp];
    if ((flags & Flag.FIN) !== 0) { iw[pd + ID.Fin]++; t |= d === 0 ? Tcp.FinFwd : Tcp.FinBwd; }
    if ((flags & Flag.SYN) !== 0) {
      iw[pd + ID.Syn]++;
      if ((flags & Flag.ACK) !== 0) { iw[pd + ID.SynAck]++; if (d === 1) t |= Tcp.SynAckBwd; }
      else if (d === 0) t |= Tcp.SynFwd;
    } else if ((flags & Flag.ACK) !== 0 && d === 0 && (t & Tcp.SynAckBwd) !== 0) {
      t |= Tcp.HandshakeDone;
    }
    if ((flags & Flag.RST) !== 0) { iw[pd + ID.Rst]++; t |= d === 0 ? Tcp.RstFwd : Tcp.RstBwd; }
    if ((flags & Flag.PSH) !== 0) iw[pd + ID.Psh]++;
    if ((flags & Flag.ACK) !== 0) iw[pd + ID.Ack]++;
    if ((flags & (Flag.URG | Flag.ECE | Flag.CWR)) !== 0) {
      if ((flags & Flag.URG) !== 0) iw[pd + ID.Urg]++;
      if ((flags & Flag.ECE) !== 0) iw[pd + ID.Ece]++;
      if ((flags & Flag.CWR) !== 0) iw[pd + ID.Cwr]++;
    }
    if ((t & Tcp.Closing) === 0 &&
      ((t & (Tcp.RstFwd | Tcp.RstBwd)) !== 0 || (t & (Tcp.FinFwd | Tcp.FinBwd)) === (Tcp.FinFwd | Tcp.FinBwd))) {
      iw[p + I.Tcp] = t | Tcp.Closing;
      this.f[s * F.Stride + F.CloseAtUs] = rec.tsUs + this.graceUs;
      return true;
    }
    iw[p + I.Tcp] = t;
    return false;
  }

  /** Swaps forward and backward statistics of slot `s` (the initiator turned out to be the other side). */
  swapDirections(s: number): void {
    const f = this.f, iw = this.i;
    const a = s * F.Stride + F.Dir, b = a + F.DirSize;
    for (let k = 0; k < F.DirSize; k++) { const t = f[a + k]; f[a + k] = f[b + k]; f[b + k] = t; }
    const pa = s * I.Stride + I.Dir, pb = pa + I.DirSize;
    for (let k = 0; k < I.DirSize; k++) { const t = iw[pa + k]; iw[pa + k] = iw[pb + k]; iw[pb + k] = t; }
    // TCP bits are direction-relative too.
    const p = s * I.Stride;
    let t = iw[p + I.Tcp];
    t = swapBits(t, Tcp.FinFwd, Tcp.FinBwd);
    t = swapBits(t, Tcp.RstFwd, Tcp.RstBwd);
    t &= ~(Tcp.SynFwd | Tcp.SynAckBwd | Tcp.HandshakeDone);
    iw[p + I.Tcp] = t;
    iw[p + I.InitIsA] ^= 1;
  }
}

function swapBits(x: number, p: number, q: number): number {
  const hp = (x & p) !== 0, hq = (x & q) !== 0;
  x &= ~(p | q);
  if (hp) x |= q;
  if (hq) x |= p;
  return x;
}
