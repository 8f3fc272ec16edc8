import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Registers a test that runs only when `cond` holds; otherwise it is reported as skipped
 * with the reason in its name, so a missing tool or data set is visible in every run.
 */
export function itIf(cond: boolean, reason: string): jest.It {
  if (cond) return it;
  const skipped = ((name: string, fn?: jest.ProvidesCallback, timeout?: number) =>
    it.skip(`${name} [skipped: ${reason}]`, fn, timeout)) as unknown as jest.It;
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
