/**
 * Every process the lab starts goes through this registry, so that all of them can be stopped
 * by PID (their own process group: each is started detached), also from a signal handler.
 * Nothing is ever killed by name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the lab stopped it (time limit or end of the scenario). */
  killed: boolean;
  /** Wall-clock start and exit, ms since the epoch. */
  startMs: number;
  endMs: number;
}

export interface Proc {
  pid: number;
  label: string;
  child: ChildProcess;
  startMs: number;
  exited: Promise<Exit>;
  /** Lines written to stdout/stderr so far (kept only when `capture` was asked for; at most 200). */
  output: string[];
}

export interface SpawnOptions {
  label: string;
  /** Kill the process group after this many seconds (0 = never, for services stopped explicitly). */
  timeoutSec: number;
  /** Append stdout and stderr to this file. */
  logFile?: string;
  /** Keep output lines in memory (for readiness checks). */
  capture?: boolean;
}

export class ProcessRegistry {
  private readonly running = new Map<number, Proc>();
  private readonly stopped = new Set<number>();

  /** Runs argv inside network namespace `ns` (or in the current one when ns is empty). */
  start(ns: string, argv: string[], o: SpawnOptions): Proc {
    const full = ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv;
    let fd: number | undefined;
    if (o.logFile) fd = openSync(o.logFile, 'a');
    const out = o.capture ? 'pipe' : fd !== undefined ? fd : 'ignore';
    const child = spawn(full[0], full.slice(1), { detached: true, stdio: ['ignore', out, out] });
    if (fd !== undefined) closeSync(fd);
    const startMs = Date.now();
    const output: string[] = [];
    if (o.capture) {
      const onData = (d: Buffer) => {
        for (const line of d.toString('utf8').split('\n')) if (line && output.length < 200) output.push(line);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
    }
    let timer: NodeJS.Timeout | undefined;
    const exited = new Promise<Exit>((resolve) => {
      let spawnError = false;
      child.once('error', () => {
        spawnError = true;
        resolve({ code: 127, signal: null, killed: false, startMs, endMs: Date.now() });
      });
      child.once('exit', (code, signal) => {
        if (timer) clearTimeout(timer);
        if (child.pid !== undefined) this.running.delete(child.pid);
        if (!spawnError) resolve({ code, signal, killed: child.pid !== undefined && this.stopped.has(child.pid), startMs, endMs: Date.now() });
      });
    });
    const proc: Proc = { pid: child.pid ?? -1, label: o.label, child, startMs, exited, output };
    if (child.pid !== undefined) {
      this.running.set(child.pid, proc);
      if (o.timeoutSec > 0) timer = setTimeout(() => this.stop(proc), o.timeoutSec * 1000);
    }
    return proc;
  }

  /** SIGTERM to the process group, SIGKILL one second later if it is still there. */
  stop(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (p.pid > 0 && this.running.has(p.pid)) {
      this.stopped.add(p.pid);
      killGroup(p.pid, signal);
      const t = setTimeout(() => killGroup(p.pid, 'SIGKILL'), 1000);
      void p.exited.then(() => clearTimeout(t));
    }
    return p.exited;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((p) => this.stop(p)));
  }

  /** Synchronous last resort (signal handlers, process exit): SIGKILL every group still running. */
  killAllSync(): void {
    for (const pid of this.running.keys()) {
      this.stopped.add(pid);
      killGroup(pid, 'SIGKILL');
    }
  }

  get count(): number {
    return this.running.size;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}
