import { endianness } from 'node:os';
import { PacketRecord, type L3 } from '../packet';

/*
 * Packet batch, the value of a `netsentry.packets.v1` message: decoded headers of up to a few
 * thousand packets as struct-of-arrays columns, no payload. All integers little-endian.
 *
 *   0  magic "NSPB" (4 bytes)
 *   4  format version u8 (= 1)
 *   5  flags u8 (= 0; a reader refuses flags it does not know)
 *   6  row size u16 (bytes per packet over all columns; = ROW_BYTES for version 1)
 *   8  packet count u32
 *  12  reserved u32 (= 0)
 *  16  columns, each `count` values, in this order (widest first, so every column is aligned):
 *      f64 tsUs
 *      u32 wireLen, capLen, ifIndex, ipLen, seq, ack, payloadLen, arpSenderIp, arpTargetIp,
 *          src (4 words per packet), dst (4 words per packet)
 *      u16 linkType, l3, vlanOuter, vlanInner, srcPort, dstPort, ipHdrLen, window, l4HdrLen, arpOp
 *      u8  proto, ttl, tcpFlags, fragment bits (1 = isFragment, 2 = isFirstFragment), icmpType, icmpCode
 * Total length is exactly 16 + count * ROW_BYTES.
 */
export const BATCH_MAGIC = 0x4250534e; // "NSPB" read as u32le
export const BATCH_VERSION = 1;
export const BATCH_HEADER = 16;
const F64_COLS = 1;
const U32_COLS = 9 + 8;
const U16_COLS = 10;
const U8_COLS = 6;
/** Bytes per packet in version 1. */
export const ROW_BYTES = F64_COLS * 8 + U32_COLS * 4 + U16_COLS * 2 + U8_COLS;
/** A batch larger than this is refused (bounds what a hostile message can make us allocate). */
export const BATCH_MAX_PACKETS = 1 << 20;
const LE_HOST = endianness() === 'LE';

/** Stable error codes of {@link decodePacketBatch}. */
export type PacketBatchErrorCode =
  | 'BATCH.TOO_SHORT'
  | 'BATCH.BAD_MAGIC'
  | 'BATCH.UNSUPPORTED_VERSION'
  | 'BATCH.UNSUPPORTED_FLAGS'
  | 'BATCH.BAD_LENGTH'
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

/**
 * Collects decoded packets (copying the record's header fields) into columns and builds one
 * batch message. No allocation per packet: the columns are allocated once for `capacity` rows.
 */
export class PacketBatchBuilder {
  private readonly cols: Columns;
  private n = 0;

  constructor(readonly capacity = 4096) {
    if (!(capacity >= 1 && capacity <= BATCH_MAX_PACKETS)) throw new RangeError(`batch capacity ${capacity} outside 1..${BATCH_MAX_PACKETS}`);
    this.cols = new Columns(new ArrayBuffer(capacity * ROW_BYTES), 0, capacity);
  }

  /** Packets added since the last reset. */
  get size(): number {
    return this.n;
  }

  /** True when no more packets fit. */
  full(): boolean {
    return this.n >= this.capacity;
  }

  /** Bytes build() would return now. */
  get byteLength(): number {
    return BATCH_HEADER + this.n * ROW_BYTES;
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

  /** Encodes the packets added so far into a new Buffer (the builder keeps them until reset()). */
  build(): Buffer {
    if (!LE_HOST) throw new Error('packet batches are built on little-endian hosts only');
    const n = this.n;
    // Every byte is written below (header fields and packed columns), so no zero-fill.
    const out = Buffer.allocUnsafe(BATCH_HEADER + n * ROW_BYTES);
    out.writeUInt32LE(BATCH_MAGIC, 0);
    out[4] = BATCH_VERSION;
    out[5] = 0;
    out.writeUInt16LE(ROW_BYTES, 6);
    out.writeUInt32LE(n, 8);
    out.writeUInt32LE(0, 12);
    Columns.pack(this.cols, this.capacity, n, out.subarray(BATCH_HEADER));
    return out;
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
    rec.reset();
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
  if (!LE_HOST) return fail('BATCH.UNSUPPORTED_HOST', 'packet batches are read on little-endian hosts only');
  if (!(buf instanceof Uint8Array)) return fail('BATCH.TOO_SHORT', 'not a byte buffer');
  if (buf.length < BATCH_HEADER) return fail('BATCH.TOO_SHORT', `${buf.length} bytes, header needs ${BATCH_HEADER}`);
  const u32 = (o: number): number => (buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | (buf[o + 3] << 24)) >>> 0;
  if (u32(0) !== BATCH_MAGIC) return fail('BATCH.BAD_MAGIC', 'not a packet batch (magic is not "NSPB")');
  const version = buf[4];
  if (version !== BATCH_VERSION) return fail('BATCH.UNSUPPORTED_VERSION', `format version ${version}, this reader knows ${BATCH_VERSION}`);
  if (buf[5] !== 0) return fail('BATCH.UNSUPPORTED_FLAGS', `flags 0x${buf[5].toString(16)}`);
  const row = buf[6] | (buf[7] << 8);
  if (row !== ROW_BYTES) return fail('BATCH.BAD_LENGTH', `row size ${row}, version ${version} has ${ROW_BYTES}`);
  const n = u32(8);
  if (n > BATCH_MAX_PACKETS) return fail('BATCH.BAD_LENGTH', `${n} packets, at most ${BATCH_MAX_PACKETS}`);
  if (buf.length !== BATCH_HEADER + n * ROW_BYTES) return fail('BATCH.BAD_LENGTH', `${buf.length} bytes for ${n} packets, expected ${BATCH_HEADER + n * ROW_BYTES}`);
  // Copy into a fresh, aligned buffer: Kafka hands out Buffers at arbitrary offsets.
  const ab = new ArrayBuffer(n * ROW_BYTES);
  new Uint8Array(ab).set(buf.subarray(BATCH_HEADER));
  const cols = new Columns(ab, 0, n);
  for (let i = 0; i < n; i++) {
    const l3 = cols.l3[i];
    if (l3 !== 0 && l3 !== 4 && l3 !== 6 && l3 !== 0x0806) return fail('BATCH.BAD_VALUE', `packet ${i}: network layer ${l3}`);
    if (cols.frag[i] > 3) return fail('BATCH.BAD_VALUE', `packet ${i}: fragment bits ${cols.frag[i]}`);
    if (!Number.isInteger(cols.tsUs[i])) return fail('BATCH.BAD_VALUE', `packet ${i}: timestamp ${cols.tsUs[i]}`);
  }
  return { ok: true, batch: new PacketBatch(n, version, cols) };
}

export type { Columns as PacketBatchColumns };
