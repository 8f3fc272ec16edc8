/**
 * Two network namespaces joined by a veth pair, for tests and benches that need real traffic on
 * a real interface without touching the machine's own network: `ip netns add` ×2, one veth pair
 * (one end in each), `lo` and both ends up, optional addresses, IPv6 off by option. Needs root and
 * iproute2; `bridgeBroker` also needs socat.
 *
 * Names are unique per run (pid + random bytes, veths within the kernel's 15 characters), every
 * command is bounded in time, a failing command throws with its full argv and stderr in the
 * message, and `destroy()` is idempotent and never throws (for afterAll / finally).
 *
 * libs/lab keeps its own topology (libs/lab/src/topology.ts): it is product code (no
 * @netsentry/testing at runtime), a bridge with one namespace per host, MACs, MTUs and resolvers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaBrokers } from './env';

export interface NetnsPairOptions {
  /** A short word naming the user (letters and digits; the first 4 go into the veth names). */
  prefix: string;
  /** Addresses with prefix length for the veth ends, e.g. `['10.213.7.1/24', '10.213.7.2/24']`. */
  addresses?: readonly [string, string];
  /** false: IPv6 off in both namespaces before the veth arrives (no neighbour discovery, no DAD). Default true. */
  ipv6?: boolean;
}

export interface NetnsExecOptions {
  /** Kills the command after this long (default 30 s); a timeout is a failure unless `allowTimeout`. */
  timeoutMs?: number;
  /** A command stopped by its time bound counts as success (traffic generators run until cut). */
  allowTimeout?: boolean;
}

export interface NetnsPair {
  /** Namespace names: A holds `vethA`, B holds `vethB`. */
  readonly nsA: string;
  readonly nsB: string;
  readonly vethA: string;
  readonly vethB: string;
  /** The addresses without prefix length, when `addresses` was given. */
  readonly ipA?: string;
  readonly ipB?: string;
  /** Runs `argv` inside `ns` (bounded); returns stdout; throws with the command in the message. */
  exec(ns: string, argv: readonly string[], opts?: NetnsExecOptions): string;
  /** Starts `argv` inside `ns` in the background; `destroy()` kills it (SIGKILL, by PID). */
  spawn(ns: string, argv: readonly string[], opts?: { stdio?: 'ignore' | 'pipe' }): ChildProcess;
  /**
   * Makes the broker (`kafkaBrokers()[0]`, in the root namespace) reachable inside `ns` at
   * `127.0.0.1:<its port>` through a unix socket (socat on each side). Resolves with that
   * address once both ends listen (at most 10 s).
   */
  bridgeBroker(ns?: string): Promise<string>;
  /** Kills what it started and what still runs in the namespaces, deletes them. Idempotent; never throws. */
  destroy(): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs a command (bounded); throws with the command, status and stderr in the message. */
function must(argv: readonly string[], timeoutMs = 30_000, allowTimeout = false): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 });
  if (r.status === 0 || (allowTimeout && r.signal === 'SIGTERM')) return r.stdout ?? '';
  const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  throw new Error(`\`${argv.join(' ')}\` failed (${why}): ${(r.stderr ?? '').trim().slice(0, 2000)}`);
}

function killPid(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** Creates the pair; on any failure removes what it made and rethrows. */
export function createNetnsPair(opts: NetnsPairOptions): NetnsPair {
  const word = opts.prefix.toLowerCase().replace(/[^a-z0-9]/g, '') || 't';
  const rnd = randomBytes(3).toString('hex');
  const nsA = `ns${word}_${process.pid}_${rnd}a`;
  const nsB = `ns${word}_${process.pid}_${rnd}b`;
  const vethA = `v${word.slice(0, 4)}${rnd}a`; // ≤ 12 characters (IFNAMSIZ 16 with the NUL)
  const vethB = `v${word.slice(0, 4)}${rnd}b`;
  const children: ChildProcess[] = [];
  let dir: string | undefined;
  let destroyed = false;

  const inNs = (ns: string, argv: readonly string[]): string[] => ['ip', 'netns', 'exec', ns, ...argv];
  const pair: NetnsPair = {
    nsA,
    nsB,
    vethA,
    vethB,
    ipA: opts.addresses?.[0].split('/')[0],
    ipB: opts.addresses?.[1].split('/')[0],
    exec: (ns, argv, o = {}) => must(inNs(ns, argv), o.timeoutMs, o.allowTimeout),
    spawn: (ns, argv, o = {}) => {
      const argvNs = inNs(ns, argv);
      const c = spawn(argvNs[0], argvNs.slice(1), { stdio: o.stdio ?? 'ignore' });
      children.push(c);
      return c;
    },
    async bridgeBroker(ns = nsA) {
      const [host, port] = kafkaBrokers()[0].split(':');
      dir ??= mkdtempSync(join(tmpdir(), 'netsentry-netns-'));
      const sock = join(dir, `kafka-${ns}.sock`);
      children.push(spawn('socat', [`UNIX-LISTEN:${sock},fork,reuseaddr`, `TCP:${host}:${port}`], { stdio: 'ignore' }));
      pair.spawn(ns, ['socat', `TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${sock}`]);
      const deadline = Date.now() + 10_000;
      for (let i = 0; i < 200 && Date.now() < deadline; i++) {
        const listening = must(inNs(ns, ['ss', '-Hltn', `sport = :${port}`]), 2000).trim() !== '';
        if (listening && existsSync(sock)) return `127.0.0.1:${port}`;
        await sleep(50);
      }
      throw new Error(`broker bridge into ${ns} (127.0.0.1:${port} → ${sock} → ${host}:${port}) not listening after 10 s`);
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const c of children) if (c.exitCode === null && c.signalCode === null) killPid(c.pid);
      for (const ns of [nsA, nsB]) {
        const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
        for (const p of (pids.stdout ?? '').split(/\s+/).filter(Boolean).map(Number)) if (Number.isInteger(p) && p > 1) killPid(p);
        spawnSync('ip', ['netns', 'del', ns], { timeout: 5000, stdio: 'ignore' });
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    for (const ns of [nsA, nsB]) {
      must(['ip', 'netns', 'add', ns], 10_000);
      // Before the veth arrives, so that it comes up with IPv6 already off (default applies to new devices).
      if (opts.ipv6 === false) must(inNs(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']), 10_000);
      must(['ip', '-n', ns, 'link', 'set', 'lo', 'up'], 10_000);
    }
    must(['ip', 'link', 'add', vethA, 'netns', nsA, 'type', 'veth', 'peer', 'name', vethB, 'netns', nsB], 10_000);
    for (const [ns, dev, addr] of [[nsA, vethA, opts.addresses?.[0]], [nsB, vethB, opts.addresses?.[1]]] as const) {
      if (addr) must(['ip', '-n', ns, 'addr', 'add', addr, 'dev', dev], 10_000);
      must(['ip', '-n', ns, 'link', 'set', dev, 'up'], 10_000);
    }
    return pair;
  } catch (e) {
    pair.destroy();
    throw e;
  }
}
