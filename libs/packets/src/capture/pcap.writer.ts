import { closeSync, openSync, writeSync } from 'node:fs';
import { PCAP_GLOBAL_HEADER, PCAP_MAGIC_US, PCAP_MAX_RECORD, PCAP_RECORD_HEADER } from './pcap.framer';
import type { RawFrame } from './raw-frame';

export interface PcapWriterOptions {
  /** LINKTYPE_* of every frame written. */
  linkType: number;
  /** Frames are cut to this many bytes (default and maximum 262144). */
  snaplen?: number;
  /** Write buffer size (default 1 MiB); data reaches the file when it fills, on flush() and close(). */
  bufferSize?: number;
}

/**
 * Writes a classic pcap file (little-endian, microsecond timestamps, version 2.4) as libpcap
 * does, so tshark/capinfos read back exactly the frames written. Synchronous and buffered:
 * `bytesWritten` counts header and records, which a rolling writer uses to rotate.
 */
export class PcapWriter {
  /** Bytes of the file so far (global header + records), including buffered ones. */
  bytesWritten = 0;
  /** Records written. */
  packets = 0;
  private fd: number;
  private readonly buf: Buffer;
  private used = 0;
  private readonly snaplen: number;

  constructor(readonly path: string, opts: PcapWriterOptions) {
    this.snaplen = Math.min(PCAP_MAX_RECORD, Math.max(1, opts.snaplen ?? PCAP_MAX_RECORD));
    this.buf = Buffer.allocUnsafe(Math.max(opts.bufferSize ?? 1024 * 1024, PCAP_RECORD_HEADER + PCAP_MAX_RECORD));
    this.fd = openSync(path, 'w');
    const h = this.buf;
    h.writeUInt32LE(PCAP_MAGIC_US, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(0, 8);
    h.writeUInt32LE(0, 12);
    h.writeUInt32LE(this.snaplen, 16);
    h.writeUInt32LE(opts.linkType >>> 0, 20);
    this.used = PCAP_GLOBAL_HEADER;
    this.bytesWritten = PCAP_GLOBAL_HEADER;
  }

  /** Appends one frame (cut to the snaplen). */
  write(frame: RawFrame): void {
    this.writePacket(frame.tsUs, frame.buf, frame.off, frame.capLen, frame.wireLen);
  }

  /** Appends `capLen` bytes of `data` from `off` as one record. */
  writePacket(tsUs: number, data: Uint8Array, off: number, capLen: number, wireLen: number): void {
    if (this.fd < 0) throw new Error(`${this.path}: PcapWriter used after close()`);
    const n = Math.min(capLen, this.snaplen, data.length - off);
    if (this.buf.length - this.used < PCAP_RECORD_HEADER + n) this.flush();
    const b = this.buf;
    const o = this.used;
    const t = tsUs > 0 ? tsUs : 0;
    const sec = Math.floor(t / 1e6);
    b.writeUInt32LE(sec >>> 0, o);
    b.writeUInt32LE(Math.floor(t - sec * 1e6), o + 4);
    b.writeUInt32LE(n, o + 8);
    b.writeUInt32LE(wireLen >>> 0, o + 12);
    b.set(data.subarray(off, off + n), o + PCAP_RECORD_HEADER);
    this.used = o + PCAP_RECORD_HEADER + n;
    this.bytesWritten += PCAP_RECORD_HEADER + n;
    this.packets++;
  }

  /** Writes buffered bytes to the file. */
  flush(): void {
    let done = 0;
    while (done < this.used) done += writeSync(this.fd, this.buf, done, this.used - done);
    this.used = 0;
  }

  /** Flushes and closes; further writes throw. Safe to call twice. */
  close(): void {
    if (this.fd < 0) return;
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
