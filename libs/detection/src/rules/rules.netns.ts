/*
 * Test helper (not part of the public API): records small real attack captures between two
 * network namespaces created for the occasion (a veth pair, 10.232.x.0/24 inside the
 * namespaces only, nothing leaves them), for the rules the shared captures do not cover with
 * real replies: a port scan, host sweep and SYN flood answered by a live host; a UDP flood
 * answered by a UDP echo server after 32 s of quiet baseline traffic (traffic spike); and a
 * 60 MB HTTP download (large transfer). Every tool runs with a bounded count and a timeout;
 * processes are stopped by PID and the namespaces removed afterwards.
 * Needs root, ip, tcpdump, hping3, nmap, curl, ping, python3.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const LAB_TOOLS = ['ip', 'tcpdump', 'hping3', 'nmap', 'curl', 'ping', 'python3'] as const;

export interface LabCaptures {
  dir: string;
  /** Attacker / client and victim / server addresses. */
  attacker: string;
  victim: string;
  /** Subnet swept by the host sweep (a /27 around the victim). */
  sweptPrefix: string;
  /** nmap -sS of 100 ports, nmap -sn ARP sweep of a /27, hping3 SYN flood of port 80 (answered by RST). */
  scans: string;
  /** 32 s of ping/curl baseline, then a 20 000-packet UDP flood answered by an echo server. */
  spike: string;
  /** A 60 MB HTTP download, victim (server) to attacker (client). */
  transfer: string;
  /** Removes the directory. */
  cleanup(): void;
}

function run(cmd: string, args: string[], timeoutMs = 20000): { code: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 4 << 20 });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function must(cmd: string, args: string[], timeoutMs?: number): string {
  const r = run(cmd, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.out.slice(0, 2000)}`);
  return r.out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Stops one process we started, by its PID: the signal, then SIGKILL after 3 s. */
function stop(p: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p || p.pid === undefined || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => { try { process.kill(p.pid!, 'SIGKILL'); } catch { /* gone */ } resolve(); }, 3000);
    p.once('exit', () => { clearTimeout(t); resolve(); });
    try { process.kill(p.pid!, signal); } catch { clearTimeout(t); resolve(); }
  });
}

/** Starts tcpdump in `ns` on `dev` writing `file`; resolves once it listens. */
async function startDump(ns: string, dev: string, file: string): Promise<ChildProcess> {
  const dump = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-n', '--immediate-mode', '-i', dev, '-s', '128', '-U', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  dump.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  await waitFor(() => err.includes('listening on'), 10000, 'tcpdump');
  return dump;
}

const UDP_ECHO = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 9999))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(d, a)
`;

export async function recordLabCaptures(): Promise<LabCaptures> {
  const dir = mkdtempSync(join(tmpdir(), 'netsentry-rules-lab-'));
  const tag = randomBytes(3).toString('hex');
  const nsA = `nsrulA${tag}`, nsB = `nsrulB${tag}`;
  const vA = `vra${tag}`, vB = `vrb${tag}`;
  const net = 10 + (parseInt(tag.slice(0, 2), 16) % 200);
  const attacker = `10.232.${net}.1`, victim = `10.232.${net}.2`;
  const procs: ChildProcess[] = [];
  const files = { scans: join(dir, 'scans.pcap'), spike: join(dir, 'spike.pcap'), transfer: join(dir, 'transfer.pcap') };
  const inA = (args: string[], timeoutMs?: number) => must('ip', ['netns', 'exec', nsA, ...args], timeoutMs);
  try {
    must('ip', ['netns', 'add', nsA]);
    must('ip', ['netns', 'add', nsB]);
    must('ip', ['link', 'add', vA, 'type', 'veth', 'peer', 'name', vB]);
    must('ip', ['link', 'set', vA, 'netns', nsA]);
    must('ip', ['link', 'set', vB, 'netns', nsB]);
    must('ip', ['-n', nsA, 'addr', 'add', `${attacker}/24`, 'dev', vA]);
    must('ip', ['-n', nsB, 'addr', 'add', `${victim}/24`, 'dev', vB]);
    for (const [ns, dev] of [[nsA, vA], [nsB, vB]]) {
      must('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
      must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      must('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
    // Do not rate-limit the victim's RSTs / ICMP answers.
    must('ip', ['netns', 'exec', nsB, 'sysctl', '-q', '-w', 'net.ipv4.icmp_ratelimit=0']);

    // A 60 MB file (sparse) behind an HTTP server, and a UDP echo server.
    must('truncate', ['-s', '60M', join(dir, 'big.bin')]);
    const http = spawn('ip', ['netns', 'exec', nsB, 'python3', '-m', 'http.server', '8080', '--bind', victim, '--directory', dir], { stdio: 'ignore' });
    procs.push(http);
    const echo = spawn('ip', ['netns', 'exec', nsB, 'python3', '-c', UDP_ECHO, victim], { stdio: 'ignore' });
    procs.push(echo);
    await waitFor(() => run('ip', ['netns', 'exec', nsA, 'curl', '-s', '-o', '/dev/null', '--max-time', '1', `http://${victim}:8080/`]).code === 0, 10000, 'http server');

    // 1. Scans, answered by a live host.
    let dump = await startDump(nsB, vB, files.scans);
    inA(['nmap', '-n', '-Pn', '-sS', '--max-retries', '1', '-T4', '-p', '1-100', victim], 60000);
    await sleep(1500);
    inA(['nmap', '-n', '-sn', '-PR', '--max-retries', '1', `${victim.replace(/\.2$/, '.0')}/27`], 60000);
    await sleep(1500);
    inA(['timeout', '20', 'hping3', '-q', '-S', '-p', '80', '-c', '3000', '-i', 'u200', victim], 30000);
    await sleep(1500);
    await stop(dump, 'SIGINT');

    // 2. Quiet baseline, then a UDP flood answered by the echo server (and a traffic spike).
    dump = await startDump(nsB, vB, files.spike);
    const t0 = Date.now();
    const pinger = spawn('ip', ['netns', 'exec', nsA, 'ping', '-q', '-i', '0.2', '-c', '200', victim], { stdio: 'ignore' });
    procs.push(pinger);
    while (Date.now() - t0 < 32000) {
      run('ip', ['netns', 'exec', nsA, 'curl', '-s', '-o', '/dev/null', '--max-time', '2', `http://${victim}:8080/`], 5000);
      await sleep(2000);
    }
    await stop(pinger, 'SIGINT');
    inA(['timeout', '20', 'hping3', '-q', '--udp', '-p', '9999', '-d', '32', '-c', '20000', '-i', 'u100', victim], 30000);
    await sleep(1500);
    await stop(dump, 'SIGINT');

    // 3. A 60 MB download.
    dump = await startDump(nsB, vB, files.transfer);
    inA(['curl', '-s', '-o', '/dev/null', '--max-time', '60', `http://${victim}:8080/big.bin`], 70000);
    await sleep(1000);
    await stop(dump, 'SIGINT');

    for (const f of Object.values(files)) if (!existsSync(f) || statSync(f).size === 0) throw new Error(`tcpdump wrote nothing to ${f}`);
    return {
      dir,
      attacker,
      victim,
      sweptPrefix: victim.replace(/\.2$/, '.'),
      ...files,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  } finally {
    for (const p of procs) await stop(p);
    run('ip', ['netns', 'del', nsA]);
    run('ip', ['netns', 'del', nsB]);
  }
}
