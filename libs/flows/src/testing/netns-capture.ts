/**
 * Test helper: records a small real capture between two network namespaces created for the
 * occasion (veth pair, 10.231.x.0/24 inside the namespaces only): HTTP with curl, ping,
 * an nmap SYN scan of a few ports and UDP request/response with socat. Every step is
 * bounded in time; the namespaces, processes and veth pair are removed afterwards.
 * Needs root, ip, tcpdump, curl, ping, nmap, socat, python3.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createNetnsPair, type NetnsPair } from '@netsentry/testing';

export const NETNS_TOOLS = ['ip', 'tcpdump', 'curl', 'ping', 'nmap', 'socat', 'python3'] as const;

function run(cmd: string, args: string[], timeoutMs = 15000): { code: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function stop(p: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => { p.kill('SIGKILL'); resolve(); }, 3000);
    p.once('exit', () => { clearTimeout(t); resolve(); });
    p.kill(signal);
  });
}

export interface NetnsCaptureResult {
  file: string;
  /** Addresses used: client (scanner) and server. */
  client: string;
  server: string;
}

/** Records the capture into `file` (pcap). Resolves after cleanup. */
export async function recordNetnsCapture(file: string): Promise<NetnsCaptureResult> {
  const net = 10 + randomBytes(1)[0] % 200;
  const client = `10.231.${net}.1`, server = `10.231.${net}.2`;
  const procs: ChildProcess[] = [];
  let dump: ChildProcess | undefined;
  let pair: NetnsPair | undefined;
  try {
    pair = createNetnsPair({ prefix: 'flows', addresses: [`${client}/24`, `${server}/24`], ipv6: false });
    const { nsA, nsB, vethB: vB } = pair;
    const inA = (argv: string[], timeoutMs?: number): string => pair!.exec(nsA, argv, { timeoutMs });
    dump = pair.spawn(nsB, ['tcpdump', '-n', '--immediate-mode', '-i', vB, '-s', '0', '-U', '-w', file], { stdio: 'pipe' });
    let dumpErr = '';
    dump.stderr?.on('data', (d: Buffer) => { dumpErr += d.toString(); });
    await waitFor(() => dumpErr.includes('listening on'), 10000, 'tcpdump');

    procs.push(pair.spawn(nsB, ['python3', '-m', 'http.server', '8080', '--bind', server]));
    procs.push(pair.spawn(nsB, ['socat', 'UDP4-RECVFROM:9999,fork,reuseaddr', 'SYSTEM:echo pong']));
    await waitFor(() => run('ip', ['netns', 'exec', nsA, 'curl', '-s', '-o', '/dev/null', '--max-time', '1', `http://${server}:8080/`]).code === 0, 10000, 'http server');

    for (let i = 0; i < 3; i++) inA(['curl', '-s', '-o', '/dev/null', '--max-time', '5', `http://${server}:8080/`]);
    inA(['ping', '-c', '3', '-i', '0.2', '-W', '1', server]);
    for (let i = 0; i < 2; i++) {
      run('ip', ['netns', 'exec', nsA, 'sh', '-c', `echo ping${i} | socat -T1 - UDP4:${server}:9999`], 5000);
    }
    inA(['nmap', '-n', '-Pn', '-sS', '--max-retries', '1', '-p', '20-25,8080,9090', server], 30000);
    await sleep(1000);
    return { file, client, server };
  } finally {
    await stop(dump, 'SIGINT');
    for (const p of procs) await stop(p);
    pair?.destroy();
    if (existsSync(file) && statSync(file).size === 0) throw new Error('tcpdump wrote nothing');
  }
}
