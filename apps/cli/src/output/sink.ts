import { closeSync, openSync, writeSync } from 'node:fs';
import { CliError } from '../errors';

/**
 * A buffered line writer over a file descriptor (or stdout): strings are gathered and
 * written in ~1 MiB blocks with writeSync, so writing a million CSV rows costs a few
 * hundred system calls and needs no promise per row.
 */
export class LineSink {
  private parts: string[] = [];
  private size = 0;
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
    this.parts.push(s);
    this.size += s.length + 1;
    this.lines++;
    if (this.size >= 1 << 20) this.drain();
  }

  private drain(): void {
    if (this.parts.length === 0) return;
    const buf = Buffer.from(this.parts.join('\n') + '\n', 'utf8');
    this.parts = [];
    this.size = 0;
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
  // Joined, one flat string: a row built by concatenation is a tree of cons strings, and rows
  // wait in a LineSink until its next write, so every young-generation GC would copy them.
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) parts[i] = csvField(values[i]);
  return parts.join(',');
}
