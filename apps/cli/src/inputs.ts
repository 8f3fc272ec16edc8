import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { CliError } from './errors';

/**
 * Checks capture files before any work starts, so a typo or a wrong file fails in one
 * clear line naming the file and the reason (exit 2) instead of half-way through a run.
 * The format itself is detected by the reader from the magic number; this only rejects
 * files that cannot be a capture (unreadable, a directory, empty, unknown magic). Pipes and
 * `-` (standard input) are not peeked at: the reader checks what they hold.
 */
const MAGICS = new Set([
  0xa1b2c3d4, // pcap µs, big-endian writer
  0xd4c3b2a1, // pcap µs, little-endian writer
  0xa1b23c4d, // pcap ns
  0x4d3cb2a1,
  0x0a0d0d0a, // pcapng section header block
]);

export interface InputFile {
  path: string;
  size: number;
}

export function checkCaptureFile(arg: string): InputFile {
  // `-` is standard input, e.g. `tcpdump -w - | netsentry analyze -`.
  const path = arg === '-' ? '/dev/stdin' : arg;
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new CliError('CLI.INPUT_UNREADABLE', `${path}: is a directory, not a capture file`);
    // A pipe cannot be peeked at without taking its bytes: the reader checks the magic number.
    if (!st.isFile()) return { path, size: 0 };
    size = st.size;
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError('CLI.INPUT_UNREADABLE', `${path}: cannot read: ${reason(e)}`);
  }
  const head = Buffer.alloc(4);
  let n = 0;
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    n = readSync(fd, head, 0, 4, 0);
  } catch (e) {
    throw new CliError('CLI.INPUT_UNREADABLE', `${path}: cannot read: ${reason(e)}`);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  if (n === 0) throw new CliError('CLI.NOT_A_CAPTURE', `${path}: not a capture file (the file is empty)`);
  if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return { path, size }; // gzip: the reader checks inside
  if (n < 4 || !MAGICS.has(head.readUInt32BE(0)))
    throw new CliError(
      'CLI.NOT_A_CAPTURE',
      `${path}: not a capture file (starts with 0x${head.subarray(0, n).toString('hex')}, expected a pcap, pcapng or gzip magic number)`,
    );
  return { path, size };
}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return err?.message ?? String(e);
  }
}
