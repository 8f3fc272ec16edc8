import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Registers a test that runs only when `cond` holds; otherwise it is reported as skipped
 * with the reason in its name, so a missing tool or data set is visible in every run.
 * Supports the `it` forms specs use: `itIf(c, r)(name, fn, timeout)` and
 * `itIf(c, r).each(table)(name, fn, timeout)` (also `.concurrent`, `.todo`).
 */
export function itIf(cond: boolean, reason: string): jest.It {
  if (cond) return it;
  const label = (name: string) => `${name} [skipped: ${reason}]`;
  const skipped = ((name: string, fn?: jest.ProvidesCallback, timeout?: number) =>
    it.skip(label(name), fn, timeout)) as unknown as jest.It & Record<string, unknown>;
  const each = (table: unknown) => (name: string, fn?: unknown, timeout?: number) =>
    (it.skip.each as (t: unknown) => (n: string, f: unknown, t?: number) => void)(table)(label(name), fn, timeout);
  Object.assign(skipped, {
    each,
    skip: it.skip,
    only: it.only,
    todo: it.todo,
    failing: it.skip,
    concurrent: Object.assign(
      (name: string, fn?: jest.ProvidesCallback, timeout?: number) => it.skip(label(name), fn, timeout),
      { each, skip: it.skip, only: it.only },
    ),
  });
  return skipped;
}

/** True when `cmd` is on PATH. */
export function haveCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${JSON.stringify(cmd)}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The team's shared folder beside the project root (`../shared`), if present. */
export const SHARED_DIR = resolve(__dirname, '../../../../shared');
/** Real third-party captures, `../shared/data/pcaps`. */
export const SHARED_PCAPS = resolve(SHARED_DIR, 'data/pcaps');
export const haveSharedPcaps = existsSync(resolve(SHARED_PCAPS, 'index.json'));

/** True when running as root (needed for network namespaces and live capture). */
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
