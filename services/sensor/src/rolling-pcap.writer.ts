import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PcapWriter, type RawFrame } from '@netsentry/packets';

export interface RollingPcapOptions {
  dir: string;
  /** File name prefix, e.g. the sensor id. */
  prefix: string;
  linkType: number;
  snaplen: number;
  rotateBytes: number;
  rotateMs: number;
  /** Number of files kept; the oldest are deleted past it. */
  keep: number;
}

/**
 * Writes captured frames to `<dir>/<prefix>-<UTC start>.pcap`, starting a new file when the
 * current one passes the size or age limit, and deleting the oldest files past `keep`, so the
 * packets behind an alert can be exported later without the disk filling up.
 */
export class RollingPcapWriter {
  private cur: PcapWriter | null = null;
  private curBytes = 0;
  private curStart = 0;
  filesWritten = 0;
  errors = 0;

  constructor(private readonly o: RollingPcapOptions) {
    mkdirSync(o.dir, { recursive: true });
  }

  write(frame: RawFrame): void {
    const now = Date.now();
    if (this.cur && (this.curBytes >= this.o.rotateBytes || now - this.curStart >= this.o.rotateMs)) this.rotate();
    if (!this.cur) this.open(now);
    try {
      this.cur!.write(frame);
      this.curBytes += 16 + frame.capLen;
    } catch {
      this.errors++;
    }
  }

  private open(now: number): void {
    const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('.', '_');
    const file = join(this.o.dir, `${this.o.prefix}-${stamp}-${String(this.filesWritten).padStart(6, '0')}.pcap`);
    this.cur = new PcapWriter(file, { linkType: this.o.linkType, snaplen: this.o.snaplen });
    this.curBytes = 24;
    this.curStart = now;
    this.filesWritten++;
    this.prune();
  }

  private rotate(): void {
    void this.cur?.close();
    this.cur = null;
  }

  /** Deletes the oldest files of this prefix past the retention limit. */
  private prune(): void {
    const files = readdirSync(this.o.dir)
      .filter((f) => f.startsWith(this.o.prefix + '-') && f.endsWith('.pcap'))
      .map((f) => ({ f, t: statSync(join(this.o.dir, f)).mtimeMs }))
      .sort((a, b) => a.t - b.t || (a.f < b.f ? -1 : 1));
    for (let i = 0; i < files.length - this.o.keep; i++) {
      try {
        unlinkSync(join(this.o.dir, files[i].f));
      } catch {
        this.errors++;
      }
    }
  }

  async close(): Promise<void> {
    await this.cur?.close();
    this.cur = null;
  }
}
