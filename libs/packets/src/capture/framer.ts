import { captureError, type CaptureError } from './errors';
import type { FormatFramer, FrameHandler } from './format-framer';
import { PcapFramer, PCAP_MAGIC_NS, PCAP_MAGIC_US } from './pcap.framer';
import { PcapngFramer, PCAPNG_SHB } from './pcapng.framer';
import { u32be, u32le } from './bytes';

export type CaptureFormat = 'pcap' | 'pcapng';

/** Detects the format of a stream from its first 4 bytes; null when it is neither. */
export function detectFormat(magic: Buffer): CaptureFormat | null {
  if (magic.length < 4) return null;
  const le = u32le(magic, 0);
  const be = u32be(magic, 0);
  if (le === PCAPNG_SHB) return 'pcapng';
  if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS || be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) return 'pcap';
  return null;
}

/**
 * Streaming framer for pcap and pcapng: push byte chunks of any size and get one callback per
 * packet (a reused {@link RawFrame}). Partial records are kept between chunks (only the partial
 * record is copied, never the whole chunk). The format is chosen by the magic number.
 *
 * Errors are values: after damage, `error` is set and further input is ignored.
 */
export class CaptureFramer {
  /** Format once the magic number has been seen. */
  format: CaptureFormat | null = null;
  /** Absolute offset of the first byte not yet framed (bytes before it were delivered). */
  offset = 0;
  private impl: FormatFramer | null = null;
  private pending: Buffer | null = null;
  private ended: CaptureError | null = null;
  private readonly magic = Buffer.alloc(4);

  /** @param name file name (or stream label) used in error messages. */
  constructor(private readonly name: string, private readonly onFrame: FrameHandler) {}

  /** Damage found so far (or at end()), else null. */
  get error(): CaptureError | null {
    return this.impl?.error ?? this.ended;
  }

  /** Link types of the interfaces seen so far. */
  get linkTypes(): Set<number> {
    return this.impl?.linkTypes ?? new Set();
  }

  /** Bytes buffered waiting for the rest of a record. */
  get pendingBytes(): number {
    return this.pending?.length ?? 0;
  }

  private start(buf: Buffer, start: number): boolean {
    buf.copy(this.magic, 0, start, start + 4);
    const fmt = detectFormat(this.magic);
    if (fmt === null) {
      this.ended = captureError('PCAP.BAD_MAGIC', this.name, this.offset, `not a pcap or pcapng file (magic 0x${this.magic.toString('hex')})`);
      return false;
    }
    this.format = fmt;
    this.impl = fmt === 'pcap' ? new PcapFramer(this.name, this.onFrame) : new PcapngFramer(this.name, this.onFrame);
    return true;
  }

  /**
   * Frames complete records in `buf[start, end)` without keeping any of it; returns bytes
   * consumed. The caller keeps the rest and presents it again with more bytes (or use push()).
   */
  feed(buf: Buffer, start = 0, end = buf.length): number {
    if (this.error) return 0;
    if (this.impl === null) {
      if (end - start < 4) return 0;
      if (!this.start(buf, start)) return 0;
    }
    const n = this.impl!.feed(buf, start, end, this.offset);
    this.offset += n;
    return n;
  }

  /** Bytes needed from the first unconsumed byte before the next record can be framed. */
  get needed(): number {
    return this.impl ? this.impl.needed : 4;
  }

  /** Frames a chunk of any size; the chunk may be reused by the caller after this returns. */
  push(chunk: Buffer): void {
    let pos = 0;
    const len = chunk.length;
    // Complete the pending partial record first, copying only the bytes it still needs.
    while (this.pending !== null && this.error === null) {
      const have = this.pending.length;
      const want = this.needed - have;
      // A framer always asks for more than it was left with; anything else is a bug here.
      if (want <= 0) throw new Error(`CaptureFramer: needed ${this.needed} <= pending ${have}`);
      if (want > len - pos) {
        this.pending = Buffer.concat([this.pending, chunk.subarray(pos)]);
        return;
      }
      const joined = Buffer.concat([this.pending, chunk.subarray(pos, pos + want)]);
      pos += want;
      const used = this.feed(joined, 0, joined.length);
      this.pending = used < joined.length ? Buffer.from(joined.subarray(used)) : null;
    }
    if (this.error) return;
    const used = this.feed(chunk, pos, len);
    if (pos + used < len) this.pending = Buffer.from(chunk.subarray(pos + used));
  }

  /** Ends the stream: reports a truncated record or empty file as an error value. */
  end(): CaptureError | null {
    if (this.error) return this.error;
    if (this.impl === null) {
      this.ended = this.offset === 0 && this.pendingBytes === 0
        ? captureError('CAPTURE.EMPTY', this.name, 0, 'file is empty')
        : captureError('PCAP.BAD_MAGIC', this.name, 0, 'file too short for a capture magic number');
    } else if (this.pendingBytes > 0) {
      this.ended = this.impl.truncated(this.offset);
    }
    return this.error;
  }
}
