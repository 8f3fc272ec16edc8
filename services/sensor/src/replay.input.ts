import { stat } from 'node:fs/promises';
import { readCaptureFile } from '@netsentry/packets';

/** Bytes the check reads: enough for the file header and the first records. */
const PROBE_BYTES = 64 * 1024;

/**
 * Checks up front that `--replay FILE` is a capture the reader can start on, so a typo or a
 * wrong file fails at once (the caller exits 2) instead of after connecting to Kafka. The
 * verdict is the reader's own: it reads the first chunk only (a signal aborted from the start
 * stops it there) and refuses the file when that chunk gave no packet and ended in damage (bad
 * magic, empty, truncated header...), with the reader's message (file, byte offset, code).
 * Damage after the first packets is not refused here: the replay delivers everything before it
 * and warns, as the reader does. Pipes are not peeked at: the bytes taken would be lost.
 */
export async function checkReplayFile(file: string): Promise<{ ok: true } | { ok: false; message: string }> {
  try {
    const st = await stat(file);
    if (st.isDirectory()) return { ok: false, message: `${file}: is a directory, not a capture file` };
    if (!st.isFile()) return { ok: true };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.message;
    return { ok: false, message: `${file}: cannot open capture file: ${why}` };
  }
  const ac = new AbortController();
  ac.abort();
  try {
    const s = await readCaptureFile(file, () => undefined, { chunkSize: PROBE_BYTES, signal: ac.signal });
    if (s.error && s.error.code !== 'CAPTURE.ABORTED' && s.packets === 0) return { ok: false, message: s.error.message };
    return { ok: true };
  } catch (e) {
    return { ok: false, message: (e as Error).message }; // the reader names the file
  }
}
