import { open, type FileHandle } from 'node:fs/promises';
import { constants as zlibConstants, crc32, createInflateRaw, type InflateRaw } from 'node:zlib';
import { CaptureFramer, type CaptureFormat } from './framer';
import { captureError, type CaptureError } from './errors';
import type { RawFrame } from './raw-frame';
import { MAX_TS_US, PacketRecord } from '../packet';
import { decodeFrame } from '../decode/frame';
import { DecodeCounters, DecodeError } from '../decode/errors';
import { warmUpDecoder } from '../decode/warm-up';

export interface ReadCaptureOptions {
  /** Called for every framed packet before decoding (also for undecodable ones); the frame is reused. */
  onFrame?: (frame: RawFrame) => void;
  /** Called after each chunk with bytes read from the file so far and the file size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Read size in bytes (default 4 MiB). Memory stays near this whatever the file size. */
  chunkSize?: number;
  /** Stops the read between chunks; the summary then carries CAPTURE.ABORTED. */
  signal?: AbortSignal;
}

export interface CaptureSummary {
  /** The path given. */
  file: string;
  /** Container format, with `.gz` when the file was gzip-compressed; 'unknown' when not a capture. */
  format: CaptureFormat | 'pcap.gz' | 'pcapng.gz' | 'unknown';
  /** Distinct link types of the file's interfaces. */
  linkTypes: number[];
  /** Packets framed from the file (decoded or not). */
  packets: number;
  /** Packets decoded and handed to onPacket. */
  decoded: number;
  /** Sum of the original (wire) lengths of all framed packets. */
  bytes: number;
  /** Smallest and largest packet timestamp in µs (0 when no packet has a valid time, see MAX_TS_US). */
  firstTsUs: number;
  lastTsUs: number;
  /** Undecodable packets by reason, `bad_timestamp` included (unsupported link types not included). */
  decodeErrors: Record<string, number>;
  /** Packets skipped because their link type is not decoded. */
  unsupported: number;
  /** Damage or I/O failure that stopped the read; everything before it was delivered. */
  error?: CaptureError;
}

const DEFAULT_CHUNK = 4 * 1024 * 1024;

/**
 * glibc serves a large allocation from its own mmap with a 16-byte chunk header, so a Buffer's
 * data starts 16 bytes past a page boundary, and every page the kernel copies into it from the
 * page cache lands 16 bytes ahead of its source's page offset. That is the 4K-aliasing case of
 * the CPU's copy loop: here a 4 MiB read() took 2.5-3 ms into such a buffer and 0.4-0.8 ms into
 * one 16 bytes further on (dd: 0.4-0.8 ms), i.e. 150-170 ms instead of 30 ms of system time per
 * 257 MB. Skipping 4080 bytes page-aligns the data under glibc; under another allocator it is
 * merely another offset, which only the exact aliasing one is slow for.
 */
const READ_BUFFER_SKEW = 4080;

/** A read buffer of `size` bytes whose data does not alias page offsets with the page cache (see READ_BUFFER_SKEW). */
function readBuffer(size: number): Buffer {
  return Buffer.allocUnsafeSlow(size + READ_BUFFER_SKEW).subarray(READ_BUFFER_SKEW);
}

/**
 * Streams a pcap/pcapng file (optionally gzip-compressed) in bounded memory and calls
 * `onPacket` synchronously with ONE reusable record per decodable packet. A damaged file is
 * read up to the damage, which is reported in `summary.error`; only failing to open the file
 * rejects.
 */
export async function readCaptureFile(
  path: string,
  onPacket: (rec: PacketRecord) => void,
  opts: ReadCaptureOptions = {},
): Promise<CaptureSummary> {
  const chunkSize = Math.max(64 * 1024, opts.chunkSize ?? DEFAULT_CHUNK);
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new Error(`${path}: cannot open capture file: ${(e as Error).message}`);
  }
  warmUpDecoder();
  const rec = new PacketRecord();
  const counters = new DecodeCounters();
  // Running totals live in a typed array: doubles kept in closure variables would allocate a
  // heap number on every update, i.e. per packet.
  const st = new Float64Array(5);
  const PACKETS = 0;
  const DECODED = 1;
  const BYTES = 2;
  const FIRST = 3;
  const LAST = 4;
  st[FIRST] = Infinity;
  st[LAST] = -Infinity;
  const onRaw = opts.onFrame;
  const framer = new CaptureFramer(path, (f) => {
    st[PACKETS]++;
    st[BYTES] += f.wireLen;
    if (onRaw !== undefined) onRaw(f);
    if (!(f.tsUs >= 0 && f.tsUs < MAX_TS_US)) {
      counters.add(DecodeError.BadTimestamp);
      return;
    }
    if (f.tsUs < st[FIRST]) st[FIRST] = f.tsUs;
    if (f.tsUs > st[LAST]) st[LAST] = f.tsUs;
    // The time is set after the call, not passed: a double argument to a call V8 does not
    // inline is boxed, i.e. a heap number allocated per packet.
    const code = decodeFrame(f.linkType, f.buf, f.off, f.capLen, f.wireLen, 0, rec);
    if (code === 0) {
      rec.tsUs = f.tsUs;
      rec.ifIndex = f.ifIndex;
      st[DECODED]++;
      onPacket(rec);
    } else counters.add(code);
  });

  let gzip = false;
  let error: CaptureError | undefined;
  const signal = opts.signal;
  try {
    const size = (await fh.stat()).size;
    // Two buffers: the next chunk is read (on the libuv pool) while this one is framed and
    // decoded, so reading and decoding overlap. push() copies any partial record, so a
    // buffer is free again as soon as push() returns.
    let cur = readBuffer(chunkSize);
    let next = readBuffer(chunkSize);
    // Reads are sequential (position null): only one is ever in flight, and pipes such as
    // /dev/stdin work as well as files.
    const first = await fh.read(cur, 0, chunkSize, null);
    gzip = first.bytesRead >= 2 && cur[0] === 0x1f && cur[1] === 0x8b;
    if (!gzip) {
      let n = first.bytesRead;
      let pos = n;
      while (n > 0) {
        const ahead = fh.read(next, 0, chunkSize, null);
        // A failed read-ahead is reported when awaited below, not as an unhandled rejection.
        ahead.catch(() => undefined);
        framer.push(cur.subarray(0, n));
        opts.onProgress?.(pos, size);
        if (framer.error) break;
        if (signal?.aborted) {
          error = captureError('CAPTURE.ABORTED', path, framer.offset, 'read aborted');
          break;
        }
        n = (await ahead).bytesRead;
        pos += n;
        const t = cur;
        cur = next;
        next = t;
      }
    } else {
      error = await readGzip(path, fh, cur.subarray(0, first.bytesRead), framer, chunkSize, size, opts);
    }
  } catch (e) {
    error = captureError('CAPTURE.READ_ERROR', path, framer.offset, `read failed: ${(e as Error).message}`);
  } finally {
    await fh.close().catch(() => undefined);
  }
  if (error === undefined) error = framer.end() ?? undefined;

  const fmt = framer.format;
  const summary: CaptureSummary = {
    file: path,
    format: fmt === null ? 'unknown' : gzip ? `${fmt}.gz` : fmt,
    linkTypes: [...framer.linkTypes].sort((a, b) => a - b),
    packets: st[PACKETS],
    decoded: st[DECODED],
    bytes: st[BYTES],
    firstTsUs: st[FIRST] <= st[LAST] ? st[FIRST] : 0,
    lastTsUs: st[FIRST] <= st[LAST] ? st[LAST] : 0,
    decodeErrors: withoutUnsupported(counters.toJSON()),
    unsupported: counters.unsupported,
  };
  if (error) summary.error = error;
  return summary;
}

function withoutUnsupported(o: Record<string, number>): Record<string, number> {
  delete o['unsupported_link'];
  return o;
}

/** Sequential reads of the compressed file, with bytes put back for the next gzip member. */
class CompressedInput {
  private buf: Buffer;
  /** Compressed bytes read from the file so far. */
  read: number;

  constructor(private readonly fh: FileHandle, first: Buffer, private readonly chunkSize: number) {
    this.buf = first;
    this.read = first.length;
  }

  /** The next bytes of the file (the put-back ones first); null at the end. */
  async next(): Promise<Buffer | null> {
    if (this.buf.length > 0) {
      const b = this.buf;
      this.buf = EMPTY;
      return b;
    }
    const b = readBuffer(this.chunkSize);
    const { bytesRead } = await this.fh.read(b, 0, this.chunkSize, null);
    if (bytesRead === 0) return null;
    this.read += bytesRead;
    return b.subarray(0, bytesRead);
  }

  /** Puts the last `n` bytes of `b` (just returned by next()) back. */
  unread(b: Buffer, n: number): void {
    this.buf = b.subarray(b.length - n);
  }

  /** Compressed bytes used so far (read and not put back). */
  get used(): number {
    return this.read - this.buf.length;
  }

  /** Exactly `n` bytes, or fewer at the end of the file. */
  async take(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const b = await this.next();
      if (b === null) break;
      const use = Math.min(n - have, b.length);
      parts.push(b.subarray(0, use));
      have += use;
      if (use < b.length) this.unread(b, b.length - use);
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** Bytes up to and including the next zero byte (a gzip header's file name or comment). */
  async takeZeroTerminated(max: number): Promise<boolean> {
    for (let seen = 0; seen < max; ) {
      const b = await this.next();
      if (b === null) return false;
      const z = b.indexOf(0);
      if (z >= 0) {
        if (z + 1 < b.length) this.unread(b, b.length - z - 1);
        return true;
      }
      seen += b.length;
    }
    return false;
  }
}

const EMPTY = Buffer.alloc(0);
/** Header flags (RFC 1952 2.3.1). */
const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

/** Skips one gzip member header; the reason when it is not one. */
async function skipGzipHeader(input: CompressedInput): Promise<string | null> {
  const h = await input.take(10);
  if (h.length < 10) return 'file ends inside a gzip header';
  if (h[0] !== 0x1f || h[1] !== 0x8b) return 'not a gzip member header';
  if (h[2] !== 8) return `unknown gzip compression method ${h[2]}`;
  const flags = h[3];
  if (flags & 0xe0) return `reserved gzip header flags 0x${flags.toString(16)}`;
  if (flags & FEXTRA) {
    const x = await input.take(2);
    if (x.length < 2 || (await input.take(x.readUInt16LE(0))).length < x.readUInt16LE(0)) return 'file ends inside a gzip header';
  }
  if (flags & FNAME && !(await input.takeZeroTerminated(1 << 20))) return 'gzip header file name not terminated';
  if (flags & FCOMMENT && !(await input.takeZeroTerminated(1 << 20))) return 'gzip header comment not terminated';
  if (flags & FHCRC && (await input.take(2)).length < 2) return 'file ends inside a gzip header';
  return null;
}

/** Writes `chunk` and resolves when zlib has taken it (with the error if it failed). */
function inflateWrite(inf: InflateRaw, chunk: Buffer): Promise<Error | null> {
  return new Promise((resolve) => {
    inf.write(chunk, (e) => resolve(e ?? null));
  });
}

/**
 * Decompresses and frames a gzip file (RFC 1952), member by member: the header is parsed here,
 * the deflate data goes through zlib's raw inflate, and the trailer's CRC-32 and length are
 * checked here. Node's Gunzip reports a bad CRC or trailing garbage for the whole last call of
 * zlib and drops that call's output, up to a megabyte of packets already decompressed; here every
 * decompressed byte is framed before the damage is reported, whatever the read size.
 */
async function readGzip(path: string, fh: FileHandle, first: Buffer, framer: CaptureFramer, chunkSize: number, size: number, opts: ReadCaptureOptions): Promise<CaptureError | undefined> {
  const input = new CompressedInput(fh, first, chunkSize);
  const damaged = (why: string): CaptureError =>
    captureError('GZIP.CORRUPT', path, framer.offset + framer.pendingBytes, `gzip data damaged after ${input.used} compressed bytes: ${why}`);
  let stop: 'framer' | 'aborted' | null = null;
  try {
    for (let member = 0; ; member++) {
      if (member > 0) {
        // After a member: the end of the file, another member, or zero padding (allowed, as gzip does).
        const b = await input.next();
        if (b === null) return undefined;
        input.unread(b, b.length);
        if (b[0] !== 0x1f) {
          let rest: Buffer | null = b;
          while (rest !== null && rest.every((x) => x === 0)) rest = await input.next();
          if (rest === null) return undefined;
          return damaged('trailing bytes after the last gzip member are not gzip data');
        }
      }
      const bad = await skipGzipHeader(input);
      if (bad !== null) return damaged(bad);
      const inf = createInflateRaw({ chunkSize: 1024 * 1024, finishFlush: zlibConstants.Z_SYNC_FLUSH });
      let crc = 0;
      let length = 0;
      inf.on('data', (out: Buffer) => {
        crc = crc32(out, crc);
        length += out.length;
        if (stop !== null) return;
        framer.push(out);
        opts.onProgress?.(input.read, size);
        if (framer.error) stop = 'framer';
        else if (opts.signal?.aborted) stop = 'aborted';
      });
      let zlibError: Error | null = null;
      inf.on('error', (e) => { zlibError = e; });
      let fed = 0;
      let ended = false;
      try {
        for (;;) {
          const chunk = await input.next();
          if (chunk === null) break;
          fed += chunk.length;
          const e = await inflateWrite(inf, chunk);
          if (e !== null || zlibError !== null) return damaged((e ?? (zlibError as unknown as Error)).message);
          if (stop !== null) break;
          // Raw inflate stops taking input at the end of the deflate data: what it left is the
          // trailer and whatever follows.
          const left = fed - inf.bytesWritten;
          if (left > 0) {
            input.unread(chunk, left);
            ended = true;
            break;
          }
        }
        if (stop === null && !ended) {
          // The file ended inside the deflate data: flush what it held, then report it.
          await new Promise<void>((resolve) => inf.end(() => resolve()));
          return damaged(zlibError !== null ? (zlibError as Error).message : 'file ends inside the compressed data');
        }
      } finally {
        inf.destroy();
      }
      if (stop === 'aborted') return captureError('CAPTURE.ABORTED', path, framer.offset, 'read aborted');
      if (stop === 'framer') return undefined;
      const t = await input.take(8);
      if (t.length < 8) return damaged('file ends inside a gzip trailer');
      if (t.readUInt32LE(0) !== crc >>> 0) return damaged(`CRC-32 ${(crc >>> 0).toString(16)} of the data differs from the trailer's ${t.readUInt32LE(0).toString(16)}`);
      if (t.readUInt32LE(4) !== length % 2 ** 32) return damaged(`data length ${length} differs from the trailer's ${t.readUInt32LE(4)}`);
    }
  } catch (e) {
    return captureError('CAPTURE.READ_ERROR', path, framer.offset, `read failed: ${(e as Error).message}`);
  }
}
