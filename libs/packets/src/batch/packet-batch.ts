import { endianness } from 'node:os';
import { PacketRecord, type L3 } from '../packet';

/*
 * Packet batch, the value of a `netsentry.packets.v1` message: decoded headers of up to a few
 * thousand packets as struct-of-arrays columns, no payload. All integers little-endian.
 *
 *   0  magic "NSPB" (4 bytes)
 *   4  format version u8 (1 or 2; the builder writes 2, the reader takes both)
 *   5  flags u8 (= 0; a reader refuses flags it does not know)
 *   6  row size u16 (bytes per packet over all decoded columns; = ROW_BYTES)
 *   8  packet count u32 (at most BATCH_MAX_PACKETS)
 *  12  reserved u32 (= 0)
 *
 * The decoded columns, each `count` values, in this order (widest first, so every column is aligned):
 *      f64 tsUs
 *      u32 wireLen, capLen, ifIndex, ipLen, seq, ack, payloadLen, arpSenderIp, arpTargetIp,
 *          src (4 words per packet), dst (4 words per packet)
 *      u16 linkType, l3, vlanOuter, vlanInner, srcPort, dstPort, ipHdrLen, window, l4HdrLen, arpOp
 *      u8  proto, ttl, tcpFlags, fragment bits (1 = isFragment, 2 = isFirstFragment), icmpType, icmpCode
 *
 * Version 1: from byte 16, those columns as they are. Total length exactly 16 + count * ROW_BYTES.
 *
 * Version 2 (about half the bytes on real traffic): the same values cut into 34 slots — the
 * columns above with src and dst split into one slot per address word — and each slot stored
 * in the cheapest of these modes:
 *  16  one mode byte per slot, in slot order:
 *        0 every value is zero (no bytes)
 *        1 every value is the same (the value, slot width bytes, in the constants area)
 *        2 one value per packet (count × width bytes in the data area)
 *        3 equal, packet by packet, to the previous slot (only where it has the same width)
 *        4 tsUs only: a base (f64, constants area) plus a u32 per packet (data area)
 *  50  constants area: the values of the slots in modes 1 and 4, in slot order
 *      data area: the packet values of the slots in modes 2 and 4, in slot order
 * Total length exactly 50 + the constants + count × the widths of the data slots.
 */
export const BATCH_MAGIC = 0x4250534e; // "NSPB" read as u32le
/** Version the builder writes. */
export const BATCH_VERSION = 2;
export const BATCH_HEADER = 16;
const F64_COLS = 1;
const U32_COLS = 9 + 8;
const U16_COLS = 10;
const U8_COLS = 6;
/** Bytes per packet of the decoded columns (and of every packet in version 1). */
export const ROW_BYTES = F64_COLS * 8 + U32_COLS * 4 + U16_COLS * 2 + U8_COLS;
/**
 * Most packets in one batch: the most a sensor ever puts in one (its SENSOR_BATCH_PACKETS setting
 * stops here; 4096 by default). A larger count is refused: version 2 stores a constant column in
 * no bytes per packet, so a 52-byte message could otherwise claim 2^20 packets (1 MiB decoded,
 * a million flow-table updates) and one small message would cost what 20 000 real ones do.
 */
export const BATCH_MAX_PACKETS = 65536;
const LE_HOST = endianness() === 'LE';

/** Stable error codes of {@link decodePacketBatch}. */
export type PacketBatchErrorCode =
  | 'BATCH.TOO_SHORT'
  | 'BATCH.BAD_MAGIC'
  | 'BATCH.UNSUPPORTED_VERSION'
  | 'BATCH.UNSUPPORTED_FLAGS'
  | 'BATCH.BAD_LENGTH'
  | 'BATCH.TOO_MANY_PACKETS'
  | 'BATCH.BAD_VALUE'
  | 'BATCH.UNSUPPORTED_HOST';

export type PacketBatchResult =
  | { ok: true; batch: PacketBatch }
  | { ok: false; code: PacketBatchErrorCode; reason: string };

/** Typed-array views over the columns of `n` rows laid out from byte 0 of `ab`. */
class Columns {
  readonly tsUs: Float64Array;
  readonly wireLen: Uint32Array; readonly capLen: Uint32Array; readonly ifIndex: Uint32Array;
  readonly ipLen: Uint32Array; readonly seq: Uint32Array; readonly ack: Uint32Array;
  readonly payloadLen: Uint32Array; readonly arpSenderIp: Uint32Array; readonly arpTargetIp: Uint32Array;
  readonly src: Uint32Array; readonly dst: Uint32Array;
  readonly linkType: Uint16Array; readonly l3: Uint16Array; readonly vlanOuter: Uint16Array; readonly vlanInner: Uint16Array;
  readonly srcPort: Uint16Array; readonly dstPort: Uint16Array; readonly ipHdrLen: Uint16Array; readonly window: Uint16Array;
  readonly l4HdrLen: Uint16Array; readonly arpOp: Uint16Array;
  readonly proto: Uint8Array; readonly ttl: Uint8Array; readonly tcpFlags: Uint8Array; readonly frag: Uint8Array;
  readonly icmpType: Uint8Array; readonly icmpCode: Uint8Array;

  constructor(readonly ab: ArrayBuffer, base: number, n: number) {
    let o = base;
    const f64 = (): Float64Array => { const a = new Float64Array(ab, o, n); o += n * 8; return a; };
    const u32 = (k = 1): Uint32Array => { const a = new Uint32Array(ab, o, n * k); o += n * 4 * k; return a; };
    const u16 = (): Uint16Array => { const a = new Uint16Array(ab, o, n); o += n * 2; return a; };
    const u8 = (): Uint8Array => { const a = new Uint8Array(ab, o, n); o += n; return a; };
    this.tsUs = f64();
    this.wireLen = u32(); this.capLen = u32(); this.ifIndex = u32(); this.ipLen = u32(); this.seq = u32(); this.ack = u32();
    this.payloadLen = u32(); this.arpSenderIp = u32(); this.arpTargetIp = u32(); this.src = u32(4); this.dst = u32(4);
    this.linkType = u16(); this.l3 = u16(); this.vlanOuter = u16(); this.vlanInner = u16(); this.srcPort = u16();
    this.dstPort = u16(); this.ipHdrLen = u16(); this.window = u16(); this.l4HdrLen = u16(); this.arpOp = u16();
    this.proto = u8(); this.ttl = u8(); this.tcpFlags = u8(); this.frag = u8(); this.icmpType = u8(); this.icmpCode = u8();
  }

  /** Copies the first `n` rows of every column (laid out for `capacity` rows) to `out` packed for `n` rows. */
  static pack(from: Columns, capacity: number, n: number, out: Uint8Array): void {
    const src = new Uint8Array(from.ab);
    let si = 0;
    let di = 0;
    const widths = [8, 4, 4, 4, 4, 4, 4, 4, 4, 4, 16, 16, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1];
    for (const w of widths) {
      out.set(src.subarray(si, si + n * w), di);
      si += capacity * w;
      di += n * w;
    }
  }
}

type Col = Float64Array | Uint32Array | Uint16Array | Uint8Array;
type ColName = { [K in keyof Columns]: Columns[K] extends Col ? K : never }[keyof Columns];

/** One version-2 slot: a column, or one word of the 4-word address columns (`word` ≥ 0). */
interface Slot {
  readonly col: ColName;
  readonly width: 1 | 2 | 4 | 8;
  readonly word: number;
}
const U32_NAMES = ['wireLen', 'capLen', 'ifIndex', 'ipLen', 'seq', 'ack', 'payloadLen', 'arpSenderIp', 'arpTargetIp'] as const;
const U16_NAMES = ['linkType', 'l3', 'vlanOuter', 'vlanInner', 'srcPort', 'dstPort', 'ipHdrLen', 'window', 'l4HdrLen', 'arpOp'] as const;
const U8_NAMES = ['proto', 'ttl', 'tcpFlags', 'frag', 'icmpType', 'icmpCode'] as const;
const SLOTS: readonly Slot[] = [
  { col: 'tsUs', width: 8, word: -1 },
  ...U32_NAMES.map((col): Slot => ({ col, width: 4, word: -1 })),
  ...[0, 1, 2, 3].map((word): Slot => ({ col: 'src', width: 4, word })),
  ...[0, 1, 2, 3].map((word): Slot => ({ col: 'dst', width: 4, word })),
  ...U16_NAMES.map((col): Slot => ({ col, width: 2, word: -1 })),
  ...U8_NAMES.map((col): Slot => ({ col, width: 1, word: -1 })),
];
const N_SLOTS = SLOTS.length;
/** Bytes before the constants area in version 2. */
const V2_FIXED = BATCH_HEADER + N_SLOTS;
const M_ZERO = 0;
const M_CONST = 1;
const M_FULL = 2;
const M_PREV = 3;
const M_DELTA = 4;

/** Mode `m` is allowed for slot `s`. */
function modeAllowed(s: number, m: number): boolean {
  if (m <= M_FULL) return true;
  if (m === M_PREV) return s > 0 && SLOTS[s - 1].width === SLOTS[s].width;
  return m === M_DELTA && s === 0;
}

/** Value of slot `sl` for packet `i` in columns `c`. */
function slotGet(a: Col, sl: Slot, i: number): number {
  return sl.word < 0 ? a[i] : a[(i << 2) + sl.word];
}

/** Slot `s` equals slot `s - 1` for the first `n` packets. */
function sameAsPrev(c: Columns, s: number, n: number): boolean {
  const sl = SLOTS[s];
  const pl = SLOTS[s - 1];
  const a = c[sl.col];
  const b = c[pl.col];
  if (sl.word < 0 && pl.word < 0) {
    const w = sl.width;
    return Buffer.compare(new Uint8Array(a.buffer, a.byteOffset, n * w), new Uint8Array(b.buffer, b.byteOffset, n * w)) === 0;
  }
  for (let i = 0; i < n; i++) if (slotGet(a, sl, i) !== slotGet(b, pl, i)) return false;
  return true;
}

/** Every timestamp is an integer within 2^32 - 1 µs of the smallest (mode 4 is exact). */
function tsFitsDelta(ts: Float64Array, n: number): boolean {
  let lo = ts[0];
  let hi = ts[0];
  for (let i = 0; i < n; i++) {
    const t = ts[i];
    if (!Number.isSafeInteger(t)) return false;
    if (t < lo) lo = t;
    else if (t > hi) hi = t;
  }
  return hi - lo <= 0xffffffff;
}

/** Writes `v` little-endian in `width` bytes at `at`; returns the next offset. */
function writeLE(out: Buffer, at: number, width: number, v: number): number {
  if (width === 8) out.writeDoubleLE(v, at);
  else if (width === 4) out.writeUInt32LE(v, at);
  else if (width === 2) out.writeUInt16LE(v, at);
  else out[at] = v;
  return at + width;
}

/**
 * Collects decoded packets (copying the record's header fields) into columns and builds one
 * batch message. No allocation per packet: the columns are allocated once for `capacity` rows.
 */
export class PacketBatchBuilder {
  private readonly cols: Columns;
  private n = 0;
  /** Version-2 plan of the last build: a mode per slot, and the u32 words of a gathered slot. */
  private readonly modes = new Uint8Array(N_SLOTS);
  private readonly scratch: Uint32Array;

  constructor(readonly capacity = 4096) {
    if (!(capacity >= 1 && capacity <= BATCH_MAX_PACKETS)) throw new RangeError(`batch capacity ${capacity} outside 1..${BATCH_MAX_PACKETS}`);
    this.cols = new Columns(new ArrayBuffer(capacity * ROW_BYTES), 0, capacity);
    this.scratch = new Uint32Array(capacity);
  }

  /** Packets added since the last reset. */
  get size(): number {
    return this.n;
  }

  /** True when no more packets fit. */
  full(): boolean {
    return this.n >= this.capacity;
  }

  /** Bytes build() would return now (version 2; scans the columns). */
  get byteLength(): number {
    return this.plan();
  }

  /** Copies the header fields of `rec`; returns false (and copies nothing) when full. */
  add(rec: PacketRecord): boolean {
    const i = this.n;
    if (i >= this.capacity) return false;
    const c = this.cols;
    c.tsUs[i] = rec.tsUs;
    c.wireLen[i] = rec.wireLen; c.capLen[i] = rec.capLen; c.ifIndex[i] = rec.ifIndex; c.ipLen[i] = rec.ipLen;
    c.seq[i] = rec.seq; c.ack[i] = rec.ack; c.payloadLen[i] = rec.payloadLen;
    c.arpSenderIp[i] = rec.arpSenderIp; c.arpTargetIp[i] = rec.arpTargetIp;
    const a = i << 2;
    const s = rec.src;
    const d = rec.dst;
    c.src[a] = s[0]; c.src[a + 1] = s[1]; c.src[a + 2] = s[2]; c.src[a + 3] = s[3];
    c.dst[a] = d[0]; c.dst[a + 1] = d[1]; c.dst[a + 2] = d[2]; c.dst[a + 3] = d[3];
    c.linkType[i] = rec.linkType; c.l3[i] = rec.l3; c.vlanOuter[i] = rec.vlanOuter; c.vlanInner[i] = rec.vlanInner;
    c.srcPort[i] = rec.srcPort; c.dstPort[i] = rec.dstPort; c.ipHdrLen[i] = rec.ipHdrLen; c.window[i] = rec.window;
    c.l4HdrLen[i] = rec.l4HdrLen; c.arpOp[i] = rec.arpOp;
    c.proto[i] = rec.proto; c.ttl[i] = rec.ttl; c.tcpFlags[i] = rec.tcpFlags;
    c.frag[i] = (rec.isFragment ? 1 : 0) | (rec.isFirstFragment ? 2 : 0);
    c.icmpType[i] = rec.icmpType; c.icmpCode[i] = rec.icmpCode;
    this.n = i + 1;
    return true;
  }

  /**
   * Encodes the packets added so far into a new Buffer (the builder keeps them until reset()),
   * in version 2 unless asked for version 1 (what readers older than version 2 take).
   */
  build(version: 1 | 2 = 2): Buffer {
    if (!LE_HOST) throw new Error('packet batches are built on little-endian hosts only');
    const n = this.n;
    if (version === 1) {
      // Every byte is written below (header fields and packed columns), so no zero-fill.
      const out = Buffer.allocUnsafe(BATCH_HEADER + n * ROW_BYTES);
      this.header(out, 1);
      Columns.pack(this.cols, this.capacity, n, out.subarray(BATCH_HEADER));
      return out;
    }
    const total = this.plan();
    const out = Buffer.allocUnsafe(total);
    this.header(out, 2);
    const modes = this.modes;
    out.set(modes, BATCH_HEADER);
    let cp = V2_FIXED;
    let dp = V2_FIXED;
    for (let s = 0; s < N_SLOTS; s++) if (modes[s] === M_CONST) dp += SLOTS[s].width;
    dp += modes[0] === M_DELTA ? 8 : 0;
    const c = this.cols;
    const sc = this.scratch;
    for (let s = 0; s < N_SLOTS; s++) {
      const m = modes[s];
      if (m === M_ZERO || m === M_PREV) continue;
      const sl = SLOTS[s];
      const a = c[sl.col];
      if (m === M_CONST) {
        cp = writeLE(out, cp, sl.width, slotGet(a, sl, 0));
      } else if (m === M_DELTA) {
        const ts = c.tsUs;
        let base = ts[0];
        for (let i = 1; i < n; i++) if (ts[i] < base) base = ts[i];
        cp = writeLE(out, cp, 8, base);
        for (let i = 0; i < n; i++) sc[i] = ts[i] - base;
        out.set(new Uint8Array(sc.buffer, 0, n * 4), dp);
        dp += n * 4;
      } else if (sl.word < 0) {
        out.set(new Uint8Array(a.buffer, a.byteOffset, n * sl.width), dp);
        dp += n * sl.width;
      } else {
        for (let i = 0, j = sl.word; i < n; i++, j += 4) sc[i] = a[j];
        out.set(new Uint8Array(sc.buffer, 0, n * 4), dp);
        dp += n * 4;
      }
    }
    return out;
  }

  private header(out: Buffer, version: number): void {
    out.writeUInt32LE(BATCH_MAGIC, 0);
    out[4] = version;
    out[5] = 0;
    out.writeUInt16LE(ROW_BYTES, 6);
    out.writeUInt32LE(this.n, 8);
    out.writeUInt32LE(0, 12);
  }

  /** Chooses each slot's version-2 mode for the current packets; returns the encoded length. */
  private plan(): number {
    const n = this.n;
    const c = this.cols;
    const modes = this.modes;
    let total = V2_FIXED;
    for (let s = 0; s < N_SLOTS; s++) {
      const sl = SLOTS[s];
      const a = c[sl.col];
      let m = M_ZERO;
      if (n > 0) {
        const v0 = slotGet(a, sl, 0);
        let same = true;
        if (sl.word < 0) {
          // Every value equals the first iff the column equals itself shifted by one value (a native memcmp).
          const w = sl.width;
          const bytes = new Uint8Array(a.buffer, a.byteOffset, n * w);
          same = Buffer.compare(bytes.subarray(w), bytes.subarray(0, (n - 1) * w)) === 0;
        } else {
          const u = a as Uint32Array;
          for (let i = 1, j = 4 + sl.word; i < n; i++, j += 4) if (u[j] !== v0) { same = false; break; }
        }
        if (same) m = v0 === 0 && !Object.is(v0, -0) ? M_ZERO : M_CONST;
        else if (s > 0 && SLOTS[s - 1].width === sl.width && sameAsPrev(c, s, n)) m = M_PREV;
        else if (s === 0 && tsFitsDelta(c.tsUs, n)) m = M_DELTA;
        else m = M_FULL;
      }
      modes[s] = m;
      if (m === M_CONST) total += sl.width;
      else if (m === M_FULL) total += n * sl.width;
      else if (m === M_DELTA) total += 8 + n * 4;
    }
    return total;
  }

  reset(): void {
    this.n = 0;
  }
}

/** A decoded batch: read packet `i` into a reusable record, or use the columns directly. */
export class PacketBatch {
  /** @internal use decodePacketBatch */
  constructor(readonly count: number, readonly version: number, readonly columns: Columns) {}

  /** Fills `rec` (reset first) with packet `i`; returns false when `i` is out of range. */
  read(i: number, rec: PacketRecord): boolean {
    if (!(i >= 0 && i < this.count)) return false;
    const c = this.columns;
    // No rec.reset(): every field of a PacketRecord is carried and written below (the round-trip
    // specs compare every field after reading into one reused record).
    rec.tsUs = c.tsUs[i];
    rec.wireLen = c.wireLen[i]; rec.capLen = c.capLen[i]; rec.ifIndex = c.ifIndex[i]; rec.ipLen = c.ipLen[i];
    rec.seq = c.seq[i]; rec.ack = c.ack[i]; rec.payloadLen = c.payloadLen[i];
    rec.arpSenderIp = c.arpSenderIp[i]; rec.arpTargetIp = c.arpTargetIp[i];
    const a = i << 2;
    const s = rec.src;
    const d = rec.dst;
    s[0] = c.src[a]; s[1] = c.src[a + 1]; s[2] = c.src[a + 2]; s[3] = c.src[a + 3];
    d[0] = c.dst[a]; d[1] = c.dst[a + 1]; d[2] = c.dst[a + 2]; d[3] = c.dst[a + 3];
    rec.linkType = c.linkType[i]; rec.l3 = c.l3[i] as L3; rec.vlanOuter = c.vlanOuter[i]; rec.vlanInner = c.vlanInner[i];
    rec.srcPort = c.srcPort[i]; rec.dstPort = c.dstPort[i]; rec.ipHdrLen = c.ipHdrLen[i]; rec.window = c.window[i];
    rec.l4HdrLen = c.l4HdrLen[i]; rec.arpOp = c.arpOp[i];
    rec.proto = c.proto[i]; rec.ttl = c.ttl[i]; rec.tcpFlags = c.tcpFlags[i];
    const f = c.frag[i];
    rec.isFragment = (f & 1) !== 0;
    rec.isFirstFragment = (f & 2) !== 0;
    rec.icmpType = c.icmpType[i]; rec.icmpCode = c.icmpCode[i];
    return true;
  }
}

function fail(code: PacketBatchErrorCode, reason: string): PacketBatchResult {
  return { ok: false, code, reason };
}

/**
 * Checks and decodes a batch message. Never throws: an unknown version, a bad length or an
 * impossible value is returned as an error (the consumer sends the message to the dead-letter topic).
 */
export function decodePacketBatch(buf: Uint8Array): PacketBatchResult {
  return decodeInto(buf, null);
}

/**
 * Decodes batches into one set of columns it keeps and grows (no allocation per batch once
 * grown to the largest batch): a consumer's hot path. Each batch it returns is valid until
 * the next call of `decode`.
 */
export class PacketBatchDecoder {
  private ab = new ArrayBuffer(0);

  decode(buf: Uint8Array): PacketBatchResult {
    return decodeInto(buf, this);
  }

  /** @internal columns memory for `bytes` (not zeroed). */
  take(bytes: number): ArrayBuffer {
    if (this.ab.byteLength < bytes) this.ab = new ArrayBuffer(Math.max(bytes, this.ab.byteLength * 2));
    return this.ab;
  }
}

function decodeInto(buf: Uint8Array, into: PacketBatchDecoder | null): PacketBatchResult {
  if (!LE_HOST) return fail('BATCH.UNSUPPORTED_HOST', 'packet batches are read on little-endian hosts only');
  if (!(buf instanceof Uint8Array)) return fail('BATCH.TOO_SHORT', 'not a byte buffer');
  if (buf.length < BATCH_HEADER) return fail('BATCH.TOO_SHORT', `${buf.length} bytes, header needs ${BATCH_HEADER}`);
  const u32 = (o: number): number => (buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | (buf[o + 3] << 24)) >>> 0;
  if (u32(0) !== BATCH_MAGIC) return fail('BATCH.BAD_MAGIC', 'not a packet batch (magic is not "NSPB")');
  const version = buf[4];
  if (version !== 1 && version !== 2) return fail('BATCH.UNSUPPORTED_VERSION', `format version ${version}, this reader knows 1 and 2`);
  if (buf[5] !== 0) return fail('BATCH.UNSUPPORTED_FLAGS', `flags 0x${buf[5].toString(16)}`);
  const row = buf[6] | (buf[7] << 8);
  if (row !== ROW_BYTES) return fail('BATCH.BAD_LENGTH', `row size ${row}, version ${version} has ${ROW_BYTES}`);
  const n = u32(8);
  if (n > BATCH_MAX_PACKETS) return fail('BATCH.TOO_MANY_PACKETS', `${n} packets in one batch; a sensor sends at most ${BATCH_MAX_PACKETS}`);
  let cols: Columns;
  if (version === 1) {
    if (buf.length !== BATCH_HEADER + n * ROW_BYTES) return fail('BATCH.BAD_LENGTH', `${buf.length} bytes for ${n} packets, expected ${BATCH_HEADER + n * ROW_BYTES}`);
    // Copy into aligned memory: Kafka hands out Buffers at arbitrary offsets.
    const ab = into ? into.take(n * ROW_BYTES) : new ArrayBuffer(n * ROW_BYTES);
    new Uint8Array(ab, 0, n * ROW_BYTES).set(buf.subarray(BATCH_HEADER));
    cols = new Columns(ab, 0, n);
  } else {
    const r = decodeSlots(buf, n, into);
    if (!(r instanceof Columns)) return r;
    cols = r;
  }
  for (let i = 0; i < n; i++) {
    const l3 = cols.l3[i];
    if (l3 !== 0 && l3 !== 4 && l3 !== 6 && l3 !== 0x0806) return fail('BATCH.BAD_VALUE', `packet ${i}: network layer ${l3}`);
    if (cols.frag[i] > 3) return fail('BATCH.BAD_VALUE', `packet ${i}: fragment bits ${cols.frag[i]}`);
    if (!Number.isInteger(cols.tsUs[i])) return fail('BATCH.BAD_VALUE', `packet ${i}: timestamp ${cols.tsUs[i]}`);
  }
  return { ok: true, batch: new PacketBatch(n, version, cols) };
}

/** u32 words of a gathered slot while decoding (grown as needed, reused). */
let decodeScratch = new Uint32Array(4096);

/** Version 2: checks the modes and the exact length, then fills aligned columns of `n` rows. */
function decodeSlots(buf: Uint8Array, n: number, into: PacketBatchDecoder | null): Columns | PacketBatchResult {
  if (buf.length < V2_FIXED) return fail('BATCH.TOO_SHORT', `${buf.length} bytes, a version 2 header needs ${V2_FIXED}`);
  let constBytes = 0;
  let rowBytes = 0;
  for (let s = 0; s < N_SLOTS; s++) {
    const m = buf[BATCH_HEADER + s];
    if (!modeAllowed(s, m)) return fail('BATCH.BAD_VALUE', `slot ${s} (${SLOTS[s].col}): mode ${m}`);
    if (m === M_CONST) constBytes += SLOTS[s].width;
    else if (m === M_FULL) rowBytes += SLOTS[s].width;
    else if (m === M_DELTA) {
      constBytes += 8;
      rowBytes += 4;
    }
  }
  const expected = V2_FIXED + constBytes + n * rowBytes;
  if (buf.length !== expected) return fail('BATCH.BAD_LENGTH', `${buf.length} bytes for ${n} packets, expected ${expected}`);
  // Fresh memory starts zeroed; reused memory gets its zero slots cleared below.
  const cols = new Columns(into ? into.take(n * ROW_BYTES) : new ArrayBuffer(n * ROW_BYTES), 0, n);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (decodeScratch.length < n) decodeScratch = new Uint32Array(n);
  const sc = decodeScratch;
  const sc8 = new Uint8Array(sc.buffer, 0, n * 4);
  let cp = V2_FIXED;
  let dp = V2_FIXED + constBytes;
  for (let s = 0; s < N_SLOTS; s++) {
    const m = buf[BATCH_HEADER + s];
    const sl = SLOTS[s];
    const a = cols[sl.col];
    const w = sl.width;
    if (m === M_ZERO) {
      if (!into) continue;
      if (sl.word < 0) a.fill(0);
      else for (let j = sl.word; j < a.length; j += 4) a[j] = 0;
    } else if (m === M_CONST) {
      const v = w === 8 ? dv.getFloat64(cp, true) : w === 4 ? dv.getUint32(cp, true) : w === 2 ? dv.getUint16(cp, true) : buf[cp];
      cp += w;
      if (sl.word < 0) a.fill(v);
      else for (let i = 0, j = sl.word; i < n; i++, j += 4) a[j] = v;
    } else if (m === M_PREV) {
      const pl = SLOTS[s - 1];
      const b = cols[pl.col];
      if (sl.word < 0 && pl.word < 0) a.set(b);
      else for (let i = 0; i < n; i++) a[sl.word < 0 ? i : (i << 2) + sl.word] = slotGet(b, pl, i);
    } else if (m === M_DELTA) {
      const base = dv.getFloat64(cp, true);
      cp += 8;
      sc8.set(buf.subarray(dp, dp + n * 4));
      dp += n * 4;
      for (let i = 0; i < n; i++) a[i] = base + sc[i];
    } else if (sl.word < 0) {
      new Uint8Array(a.buffer, a.byteOffset, n * w).set(buf.subarray(dp, dp + n * w));
      dp += n * w;
    } else {
      sc8.set(buf.subarray(dp, dp + n * 4));
      dp += n * 4;
      for (let i = 0, j = sl.word; i < n; i++, j += 4) a[j] = sc[i];
    }
  }
  return cols;
}

export type { Columns as PacketBatchColumns };
