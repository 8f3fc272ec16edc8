import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { SHARED_PCAPS } from '@netsentry/testing';
import { run } from '../src/cli';

/** Runs the CLI in-process, capturing what it prints. */
export async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

export const REPO = resolve(__dirname, '../../..');
export const BIN = join(REPO, 'apps/cli/bin/netsentry.js');

/** Runs the real executable (bin/netsentry.js) as a subprocess. */
export function cliProcess(args: string[], opts: { timeoutMs?: number; cwd?: string; env?: Record<string, string> } = {}): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? REPO,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    env: { ...process.env, NETSENTRY_SENSOR: 'test-sensor', ...opts.env },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

export function pcap(rel: string): string {
  return join(SHARED_PCAPS, rel);
}

export function tempDir(prefix = 'netsentry-cli-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const SAMPLES = join(REPO, 'data/samples');

/** Minimal RFC 4180 reader for checking our CSV (quoted fields with commas and quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let f = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') {
        f += '"';
        i++;
      } else if (c === '"') q = false;
      else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(f);
      f = '';
    } else if (c === '\n') {
      row.push(f);
      rows.push(row);
      row = [];
      f = '';
    } else f += c;
  }
  if (f || row.length) {
    row.push(f);
    rows.push(row);
  }
  return rows;
}
