import { closeSync, openSync, writeSync } from 'node:fs';
import { CliError } from '../errors';

/** Bytes a LineSink gathers before it writes them. */
const BLOCK = 1 << 20;

/**
 * A buffered line writer over a file descriptor (or stdout): lines are encoded into a 1 MiB
 * block as they come and written with writeSync when it is full, so writing a million CSV rows
 * costs a few hundred system calls and needs no promise per row. The strings themselves die
 * young: a row built by concatenation (a tree of cons strings) kept until the next write would
 * be copied by every young-generation GC in between.
 */
export class LineSink {
  private readonly block = Buffer.allocUnsafe(BLOCK);
  private used = 0;
  private closed = false;
  lines = 0;

  private constructor(
    private readonly fd: number,
    private readonly owned: boolean,
    readonly path: string,
  ) {}

  static file(path: string): LineSink {
    return new LineSink(LineSink.open(path), true, path);
  }

  /** Opens (creates or truncates) `path` for writing; CliError CLI.OUTPUT when it cannot. */
  static open(path: string): number {
    try {
      return openSync(path, 'w');
    } catch (e) {
      throw new CliError('CLI.OUTPUT', `${path}: cannot write: ${(e as Error).message}`);
    }
  }

  /**
   * A sink over a descriptor opened with open(): closed with the sink when `owned`. (The analyze
   * worker writes to files the main thread opened, so an unwritable path fails before any
   * packet is read, and the main thread closes them.)
   */
  static fromFd(fd: number, path: string, owned = true): LineSink {
    return new LineSink(fd, owned, path);
  }

  static stdout(): LineSink {
    return new LineSink(1, false, '-');
  }

  line(s: string): void {
    this.lines++;
    // At most 3 UTF-8 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units).
    if (3 * s.length + 1 > BLOCK - this.used) {
      this.drain();
      if (3 * s.length + 1 > BLOCK) {
        this.writeAll(Buffer.from(s + '\n', 'utf8'));
        return;
      }
    }
    this.used += this.block.write(s, this.used, 'utf8');
    this.block[this.used++] = 0x0a;
  }

  private drain(): void {
    if (this.used === 0) return;
    const n = this.used;
    this.used = 0;
    this.writeAll(this.block.subarray(0, n));
  }

  private writeAll(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) {
      try {
        off += writeSync(this.fd, buf, off, buf.length - off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue; // non-blocking stdout pipe
        if ((e as NodeJS.ErrnoException).code === 'EPIPE') return; // reader went away (| head)
        throw new CliError('CLI.OUTPUT', `${this.path}: cannot write: ${(e as Error).message}`);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.drain();
    this.closed = true;
    if (this.owned) closeSync(this.fd);
  }
}

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = typeof v === 'string' ? v : Array.isArray(v) ? v.join(' ') : JSON.stringify(v);
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/** csvField for a value that is usually a number (no quoting check on that path). */
export function csvNum(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return csvField(v);
}

export function csvRow(values: readonly unknown[]): string {
  let s = '';
  for (let i = 0; i < values.length; i++) s += (i ? ',' : '') + csvField(values[i]);
  return s;
}
