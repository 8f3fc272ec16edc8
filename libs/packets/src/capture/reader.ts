import { open, type FileHandle } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
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

/** The file's bytes as chunks, starting with the already-read first chunk. */
async function* fileChunks(fh: FileHandle, first: Buffer, chunkSize: number): AsyncGenerator<Buffer> {
  yield Buffer.from(first);
  for (;;) {
    const b = readBuffer(chunkSize);
    const { bytesRead } = await fh.read(b, 0, chunkSize, null);
    if (bytesRead === 0) return;
    yield b.subarray(0, bytesRead);
  }
}

async function readGzip(path: string, fh: FileHandle, first: Buffer, framer: CaptureFramer, chunkSize: number, size: number, opts: ReadCaptureOptions): Promise<CaptureError | undefined> {
  let compressedRead = 0;
  let readError: Error | null = null;
  const src = Readable.from(fileChunks(fh, first, chunkSize), { objectMode: false });
  src.on('data', (c: Buffer) => { compressedRead += c.length; });
  const gunzip = createGunzip({ chunkSize: 1024 * 1024 });
  // pipeline() destroys the gunzip stream with a read error, which ends the loop below.
  pipeline(src, gunzip, (e) => { if (e && src.errored) readError = src.errored as Error; });
  try {
    for await (const chunk of gunzip) {
      framer.push(chunk as Buffer);
      opts.onProgress?.(compressedRead, size);
      if (framer.error) return undefined;
      if (opts.signal?.aborted) return captureError('CAPTURE.ABORTED', path, framer.offset, 'read aborted');
    }
    return undefined;
  } catch (e) {
    if (readError || src.errored) return captureError('CAPTURE.READ_ERROR', path, framer.offset, `read failed: ${((readError ?? src.errored) as Error).message}`);
    return captureError('GZIP.CORRUPT', path, framer.offset + framer.pendingBytes, `gzip stream broken after ${compressedRead} compressed bytes: ${(e as Error).message}`);
  } finally {
    src.destroy();
    gunzip.destroy();
  }
}
