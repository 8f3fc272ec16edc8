import { captureError, type CaptureError } from './errors';
import type { FormatFramer, FrameHandler } from './format-framer';
import { RawFrame } from './raw-frame';
import { u16be, u16le, u32be, u32le } from './bytes';

/*
 * pcapng (draft-ietf-opsawg-pcapng). Every block, in its section's byte order:
 *   0  block type u32 | 4  block total length u32 | 8  body ... | total length u32 (trailer)
 * Lengths are multiples of 4 and include the 12 bytes of framing.
 * Section Header Block, type 0x0a0d0d0a (same in both orders):
 *   8  byte-order magic 0x1a2b3c4d | 12  major u16 (1) | 14  minor u16 | 16  section length i64 | 24 options
 * Interface Description Block, type 1 (interface ids count from 0 in each section):
 *   8  link type u16 | 10  reserved u16 | 12  snaplen u32 | 16  options
 *   options: code u16 | length u16 | value (padded to 4); if_tsresol (9) u8: bit 7 clear = 10^-n s,
 *   set = 2^-n s, default 10^-6; if_tsoffset (14) i64 seconds added to every timestamp.
 * Enhanced Packet Block, type 6:
 *   8  interface id u32 | 12  ts high u32 | 16  ts low u32 | 20  captured len u32 | 24  original len u32 | 28 data
 * Simple Packet Block, type 3 (interface 0, no timestamp):
 *   8  original len u32 | 12  data (min(original len, snaplen, block room))
 * Obsolete Packet Block, type 2:
 *   8  interface id u16 | 10  drops u16 | 12  ts high | 16  ts low | 20  captured len | 24  original len | 28 data
 * Any other block type is skipped.
 */
export const PCAPNG_SHB = 0x0a0d0d0a;
const IDB = 1;
const OPB = 2;
const SPB = 3;
const EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BLOCK_MIN = 12;
const SHB_MIN = 28;
const IDB_MIN = 20;
const EPB_MIN = 32;
const SPB_MIN = 16;
/** Wireshark's limit for one block; bounds what a hostile length can make us buffer. */
export const PCAPNG_MAX_BLOCK = 16 * 1024 * 1024;
/** Bounds per-section interface state on hostile input. */
export const PCAPNG_MAX_INTERFACES = 65536;
const OPT_TSRESOL = 9;
const OPT_TSOFFSET = 14;
const TWO32 = 4294967296;

/** How one interface's timestamp units convert to microseconds. */
const enum TsKind {
  /** `units / div` with div an integer power of ten >= 1 (resolution finer than or equal to 1 µs). */
  Divide = 0,
  /** `units * mul` (resolution coarser than 1 µs: ms, s...). */
  Multiply = 1,
  /** Binary fractions 2^-n s. */
  Binary = 2,
}

export class PcapngFramer implements FormatFramer {
  needed = BLOCK_MIN;
  error: CaptureError | null = null;
  readonly linkTypes = new Set<number>();
  private le = true;
  private inSection = false;
  // Per-interface state of the current section, in parallel arrays (ids are small integers).
  private ifLinkType: number[] = [];
  private ifSnaplen: number[] = [];
  private ifTsKind: number[] = [];
  private ifTsFactor: number[] = [];
  private ifTsOffsetUs: number[] = [];
  private lastTsUs = 0;
  private readonly frame = new RawFrame();

  constructor(private readonly name: string, private readonly onFrame: FrameHandler) {}

  /** DataView over the buffer being framed (one bounds-checked load per field; see pcap.framer.ts). */
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  private viewOf: Buffer | null = null;

  /** A u32 of the section's byte order; every caller reads inside the current block. */
  private u32(b: Buffer, o: number): number {
    if (b !== this.viewOf) {
      this.viewOf = b;
      this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
    return this.view.getUint32(o, this.le);
  }

  private fail(code: CaptureError['code'], offset: number, what: string): void {
    this.error = captureError(code, this.name, offset, what);
  }

  feed(buf: Buffer, start: number, end: number, base: number): number {
    if (this.error) return 0;
    // The DataView reads throw past the buffer; a caller's end beyond it must not.
    if (end > buf.length) end = buf.length;
    let p = start;
    const frame = this.frame;
    frame.buf = buf;
    while (this.error === null) {
      if (end - p < BLOCK_MIN) {
        this.needed = BLOCK_MIN;
        break;
      }
      const at = base + (p - start);
      const typeRaw = u32le(buf, p);
      if (typeRaw === PCAPNG_SHB) {
        const bom = u32le(buf, p + 8);
        if (bom === BYTE_ORDER_MAGIC) this.le = true;
        else if (u32be(buf, p + 8) === BYTE_ORDER_MAGIC) this.le = false;
        else {
          this.fail('PCAPNG.BAD_BYTE_ORDER', at, 'section header has no valid byte-order magic');
          break;
        }
      } else if (!this.inSection) {
        this.fail('PCAPNG.BAD_BLOCK_LENGTH', at, 'block before any section header');
        break;
      }
      const type = this.u32(buf, p);
      const len = this.u32(buf, p + 4);
      if (len < BLOCK_MIN || (len & 3) !== 0 || len > PCAPNG_MAX_BLOCK) {
        this.fail('PCAPNG.BAD_BLOCK_LENGTH', at, `block type 0x${type.toString(16)} has invalid length ${len}`);
        break;
      }
      if (end - p < len) {
        this.needed = len;
        break;
      }
      if (this.u32(buf, p + len - 4) !== len) {
        this.fail('PCAPNG.BAD_BLOCK_LENGTH', at, `block type 0x${type.toString(16)} length ${len} differs from its trailer`);
        break;
      }
      switch (type) {
        case PCAPNG_SHB:
          this.section(buf, p, len, at);
          break;
        case IDB:
          this.interface(buf, p, len, at);
          break;
        case EPB:
        case OPB:
          this.packet(buf, p, len, at, type);
          break;
        case SPB:
          this.simplePacket(buf, p, len, at);
          break;
        default:
          break;
      }
      if (this.error) break;
      p += len;
    }
    return p - start;
  }

  private section(buf: Buffer, p: number, len: number, at: number): void {
    if (len < SHB_MIN) return this.fail('PCAPNG.BAD_BLOCK_LENGTH', at, `section header length ${len} below ${SHB_MIN}`);
    const major = this.le ? u16le(buf, p + 12) : u16be(buf, p + 12);
    if (major !== 1) return this.fail('PCAPNG.UNSUPPORTED_VERSION', at, `section header major version ${major}`);
    this.inSection = true;
    this.ifLinkType.length = 0;
    this.ifSnaplen.length = 0;
    this.ifTsKind.length = 0;
    this.ifTsFactor.length = 0;
    this.ifTsOffsetUs.length = 0;
  }

  private interface(buf: Buffer, p: number, len: number, at: number): void {
    if (len < IDB_MIN) return this.fail('PCAPNG.BAD_BLOCK_LENGTH', at, `interface block length ${len} below ${IDB_MIN}`);
    if (this.ifLinkType.length >= PCAPNG_MAX_INTERFACES) return this.fail('PCAPNG.TOO_MANY_INTERFACES', at, `more than ${PCAPNG_MAX_INTERFACES} interfaces`);
    const linkType = this.le ? u16le(buf, p + 8) : u16be(buf, p + 8);
    const snaplen = this.u32(buf, p + 12);
    let tsresol = 6;
    let tsOffsetSec = 0;
    // Options: bounded by the block; a malformed option list ends the walk (values read so far stand).
    const optEnd = p + len - 4;
    for (let q = p + 16; optEnd - q >= 4; ) {
      const code = this.le ? u16le(buf, q) : u16be(buf, q);
      const olen = this.le ? u16le(buf, q + 2) : u16be(buf, q + 2);
      if (code === 0 || optEnd - q - 4 < olen) break;
      if (code === OPT_TSRESOL && olen >= 1) tsresol = buf[q + 4];
      else if (code === OPT_TSOFFSET && olen >= 8) {
        const hi = this.le ? u32le(buf, q + 8) | 0 : u32be(buf, q + 4) | 0;
        const lo = this.le ? u32le(buf, q + 4) : u32be(buf, q + 8);
        tsOffsetSec = hi * TWO32 + lo;
      }
      q += 4 + ((olen + 3) & ~3);
    }
    let kind: TsKind;
    let factor: number;
    if (tsresol & 0x80) {
      kind = TsKind.Binary;
      factor = 2 ** (tsresol & 0x7f);
    } else if (tsresol >= 6) {
      kind = TsKind.Divide;
      factor = 10 ** (tsresol - 6);
    } else {
      kind = TsKind.Multiply;
      factor = 10 ** (6 - tsresol);
    }
    this.ifLinkType.push(linkType);
    this.ifSnaplen.push(snaplen);
    this.ifTsKind.push(kind);
    this.ifTsFactor.push(factor);
    this.ifTsOffsetUs.push(tsOffsetSec * 1e6);
    this.linkTypes.add(linkType);
  }

  /** Converts a 64-bit timestamp in the interface's units to integer microseconds. */
  private toUs(ifId: number, hi: number, lo: number): number {
    const kind = this.ifTsKind[ifId];
    const f = this.ifTsFactor[ifId];
    let us: number;
    if (kind === TsKind.Divide) {
      if (f === 1) us = hi * TWO32 + lo;
      else if (f <= 1e6) {
        // Exact integer division of (hi * 2^32 + lo) without leaving 2^53.
        const q = Math.floor(TWO32 / f);
        const r = TWO32 - q * f;
        us = hi * q + Math.floor((hi * r + lo) / f);
      } else us = Number(((BigInt(hi) << 32n) | BigInt(lo)) / BigInt(f));
    } else if (kind === TsKind.Multiply) us = (hi * TWO32 + lo) * f;
    else us = Math.floor(((hi * TWO32 + lo) / f) * 1e6);
    return us + this.ifTsOffsetUs[ifId];
  }

  private packet(buf: Buffer, p: number, len: number, at: number, type: number): void {
    if (len < EPB_MIN) return this.fail('PCAPNG.BAD_BLOCK_LENGTH', at, `packet block length ${len} below ${EPB_MIN}`);
    const ifId = type === EPB ? this.u32(buf, p + 8) : this.le ? u16le(buf, p + 8) : u16be(buf, p + 8);
    if (ifId >= this.ifLinkType.length) return this.fail('PCAPNG.UNKNOWN_INTERFACE', at, `packet on undeclared interface ${ifId}`);
    const capLen = this.u32(buf, p + 20);
    if (capLen > len - EPB_MIN) return this.fail('PCAPNG.BAD_PACKET_LENGTH', at, `captured length ${capLen} exceeds block length ${len}`);
    const frame = this.frame;
    frame.tsUs = this.toUs(ifId, this.u32(buf, p + 12), this.u32(buf, p + 16));
    this.lastTsUs = frame.tsUs;
    frame.linkType = this.ifLinkType[ifId];
    frame.ifIndex = ifId;
    frame.capLen = capLen;
    frame.wireLen = this.u32(buf, p + 24);
    frame.off = p + 28;
    frame.fileOffset = at;
    this.onFrame(frame);
  }

  private simplePacket(buf: Buffer, p: number, len: number, at: number): void {
    if (len < SPB_MIN) return this.fail('PCAPNG.BAD_BLOCK_LENGTH', at, `simple packet block length ${len} below ${SPB_MIN}`);
    if (this.ifLinkType.length === 0) return this.fail('PCAPNG.UNKNOWN_INTERFACE', at, 'simple packet block before any interface');
    const wireLen = this.u32(buf, p + 8);
    const snaplen = this.ifSnaplen[0];
    let capLen = Math.min(wireLen, len - SPB_MIN);
    if (snaplen > 0 && snaplen < capLen) capLen = snaplen;
    const frame = this.frame;
    // No timestamp in a simple packet block: keep time monotonic with the last one seen.
    frame.tsUs = this.lastTsUs;
    frame.linkType = this.ifLinkType[0];
    frame.ifIndex = 0;
    frame.capLen = capLen;
    frame.wireLen = wireLen;
    frame.off = p + 12;
    frame.fileOffset = at;
    this.onFrame(frame);
  }

  truncated(offset: number): CaptureError {
    return captureError('PCAPNG.TRUNCATED_BLOCK', this.name, offset, 'file ends inside a block');
  }
}
