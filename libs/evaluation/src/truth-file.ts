/** Reading a truth file from disk: the library's only I/O, kept out of the pure core. */
import { readFileSync } from 'node:fs';
import { parseTruth, type TruthResult } from './truth';

/** Reads and validates a truth file (the only I/O in this library, kept apart from the core). */
export function loadTruth(path: string): TruthResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { ok: false, code: 'TRUTH.READ', reason: (e as Error).message };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, code: 'TRUTH.JSON', reason: (e as Error).message };
  }
  return parseTruth(raw);
}
