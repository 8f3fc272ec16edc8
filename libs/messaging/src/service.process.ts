import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** Repository root (this file is libs/messaging/src/). */
export const REPO_ROOT = resolve(__dirname, '../../..');

/** A NetSentry service running as its own process, as in production (tests and benchmarks). */
export interface ServiceProcess {
  readonly name: string;
  readonly proc: ChildProcess;
  /** Every stdout/stderr line so far. */
  readonly lines: string[];
  /** Resolves with the first line (past or future) matching `re`; rejects after `timeoutMs` or when the process exits first. */
  waitFor(re: RegExp, timeoutMs: number): Promise<string>;
  /** Sends `signal` and resolves with the exit code once the process is gone (SIGKILL after 10 s). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

/**
 * Starts `node scripts/service.js services/<name>/src/main.ts args...` (the compiled service when
 * dist/ is fresh, else the sources through @swc-node/register) with `env` added to this
 * process's environment.
 */
export function startService(
  name: 'sensor' | 'aggregator' | 'detector',
  args: string[],
  env: Record<string, string>,
  opts: { prefix?: string[] } = {},
): ServiceProcess {
  // `prefix` runs it through another command that execs it (e.g. `ip netns exec NS`), so the PID stays node's.
  const argv = [process.execPath, 'scripts/service.js', `services/${name}/src/main.ts`, ...args];
  const full = [...(opts.prefix ?? []), ...argv];
  const proc = spawn(full[0], full.slice(1), {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, FORCE_COLOR: '0', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { re: RegExp; res: (l: string) => void }[] = [];
  const onData = (buf: Buffer): void => {
    for (const l of buf.toString('utf8').split('\n')) {
      if (!l) continue;
      lines.push(l);
      if (lines.length > 20000) lines.splice(0, 10000);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i].re.test(l)) {
          waiters[i].res(l);
          waiters.splice(i, 1);
        }
      }
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  return {
    name,
    proc,
    lines,
    exited,
    waitFor(re: RegExp, timeoutMs: number): Promise<string> {
      const past = lines.find((l) => re.test(l));
      if (past) return Promise.resolve(past);
      return new Promise<string>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`${name}: no line matching ${re} within ${timeoutMs} ms; last lines:\n${lines.slice(-15).join('\n')}`)), timeoutMs);
        const w = {
          re,
          res: (l: string) => {
            clearTimeout(timer);
            res(l);
          },
        };
        waiters.push(w);
        void exited.then((code) => {
          if (waiters.includes(w)) {
            clearTimeout(timer);
            rej(new Error(`${name} exited (${code}) before a line matching ${re}; last lines:\n${lines.slice(-15).join('\n')}`));
          }
        });
      });
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
      if (gone) return exited;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}
