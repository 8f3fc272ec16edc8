import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCaptureFile } from '@netsentry/packets';
import { createNetnsPair, haveCommand, isRoot, itIf, type NetnsPair } from '@netsentry/testing';
import { BIN, REPO, tempDir } from './helpers';
import { parseCsv } from './helpers';

/**
 * Live capture between two network namespaces joined by a veth pair (traffic never leaves
 * them): `capture -i`, and `analyze -i` with flows ending on the wall clock on an idle link
 * and alerts printed as they are raised.
 */
const canRun = isRoot && haveCommand('ip') && haveCommand('ping');
const live = itIf(canRun, 'needs root, iproute2 and ping (network namespaces)');
const liveNmap = itIf(canRun && haveCommand('nmap'), 'needs root, iproute2, ping and nmap');

const subnet = 200 + (process.pid % 50);
const IP_A = `10.213.${subnet}.1`;
const IP_B = `10.213.${subnet}.2`;
let net: NetnsPair;
/** Runs a command in namespace B (the peer that sends the traffic), bounded. */
const inB = (argv: string[]): void => void net.exec(net.nsB, argv, { timeoutMs: 20_000 });

/** Starts the CLI inside namespace A; resolves once it says it is capturing. */
function startInA(args: string[]): { proc: ChildProcess; out: () => string; err: () => string; done: Promise<number>; ready: Promise<void> } {
  const proc = spawn('ip', ['netns', 'exec', net.nsA, process.execPath, BIN, ...args], {
    cwd: REPO,
    env: { ...process.env, NETSENTRY_SENSOR: 'live-test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => {
    err += d;
    if (err.includes('capturing on')) onReady();
  });
  const done = new Promise<number>((res) => proc.on('exit', (code) => res(code ?? -1)));
  const guard = setTimeout(() => proc.kill('SIGKILL'), 60_000); // bounded whatever happens
  void done.then(() => clearTimeout(guard));
  return { proc, out: () => out, err: () => err, done, ready };
}

describe('live capture (network namespaces)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir();
    if (canRun) net = createNetnsPair({ prefix: 'cli', addresses: [`${IP_A}/24`, `${IP_B}/24`] });
  });
  afterAll(() => {
    net?.destroy();
    tmp.cleanup();
  });

  live('capture -i -c -w writes a pcap our reader and tcpdump read back', async () => {
    const file = join(tmp.dir, 'cap.pcap');
    const c = startInA(['capture', '-i', net.vethA, '-c', '6', '-w', file, '--bpf', 'icmp']);
    await c.ready;
    inB(['ping', '-c', '3', '-i', '0.2', '-W', '1', IP_A]);
    expect(await c.done).toBe(0);
    expect(c.err()).toContain('6 packets captured');
    const seen: number[] = [];
    const s = await readCaptureFile(file, (rec) => seen.push(rec.proto));
    expect(s.error).toBeUndefined();
    expect(seen).toEqual([1, 1, 1, 1, 1, 1]);
    if (haveCommand('tcpdump')) {
      const t = spawnSync('tcpdump', ['-nr', file], { encoding: 'utf8' });
      expect(t.stdout.trim().split('\n')).toHaveLength(6);
    }
  }, 60_000);

  live('capture -i without -w prints one line per packet; a missing interface is exit 2', async () => {
    const c = startInA(['capture', '-i', net.vethA, '-c', '2', '--bpf', 'icmp']);
    await c.ready;
    inB(['ping', '-c', '1', '-W', '1', IP_A]);
    expect(await c.done).toBe(0);
    const lines = c.out().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`ICMP ${IP_B.replace(/\./g, '\\.')} > ${IP_A.replace(/\./g, '\\.')}, length 98`));
    const bad = spawnSync('ip', ['netns', 'exec', net.nsA, process.execPath, BIN, 'capture', '-i', 'nosuchif0', '-c', '1'], { encoding: 'utf8', timeout: 30_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('nosuchif0: no such interface');
  }, 60_000);

  live('analyze -i: an idle link still ends its flows on the wall clock (idle timeout), before the run ends', async () => {
    const out = join(tmp.dir, 'live-idle');
    const c = startInA(['analyze', '-i', net.vethA, '--duration', '7', '--idle-timeout', '2', '--out', out, '--format', 'json', '--bpf', 'icmp']);
    await c.ready;
    inB(['ping', '-c', '3', '-i', '0.2', '-W', '1', IP_A]);
    const pingEnd = Date.now() / 1000;
    expect(await c.done).toBe(0);
    const rows = parseCsv(readFileSync(join(out, 'flows.csv'), 'utf8'));
    const h = rows[0];
    const icmp = rows.slice(1).filter((r) => r[h.indexOf('proto')] === '1');
    expect(icmp).toHaveLength(1);
    const f = icmp[0];
    expect(f[h.indexOf('srcIp')]).toBe(IP_B);
    expect(Number(f[h.indexOf('fwdPackets')])).toBe(3);
    expect(Number(f[h.indexOf('bwdPackets')])).toBe(3);
    // Ended by the idle timeout while the capture was still running, not by the end of input.
    expect(f[h.indexOf('endReason')]).toBe('idle');
    expect(Number(f[h.indexOf('end')])).toBeLessThanOrEqual(pingEnd + 0.5);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.inputs[0].file).toBe(`live:${net.vethA}`);
    expect(summary.counts.packets).toBe(6);
  }, 60_000);

  live('analyze -i: Ctrl-C (SIGINT) ends the capture cleanly, flushes the flows and writes the outputs', async () => {
    const out = join(tmp.dir, 'live-sigint');
    const c = startInA(['analyze', '-i', net.vethA, '--out', out, '--format', 'json', '--bpf', 'icmp']);
    await c.ready;
    inB(['ping', '-c', '2', '-i', '0.2', '-W', '1', IP_A]);
    // `ip netns exec` runs node in the same process: the signal reaches the CLI itself.
    c.proc.kill('SIGINT');
    expect(await c.done).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.counts.packets).toBe(4);
    expect(summary.counts.flows).toBe(1);
    const rows = parseCsv(readFileSync(join(out, 'flows.csv'), 'utf8'));
    expect(rows[1][rows[0].indexOf('endReason')]).toBe('end_of_input');
  }, 60_000);

  liveNmap('analyze -i: a port scan is printed as an alert while the capture runs', async () => {
    const c = startInA(['analyze', '-i', net.vethA, '--duration', '12']);
    await c.ready;
    const scanStart = Date.now();
    inB(['nmap', '-sS', '-Pn', '-n', '-p', '1-300', '--max-retries', '0', '-T4', IP_A]);
    // The alert line appears within a few seconds of the scan, long before --duration ends.
    let alertAt = 0;
    while (Date.now() - scanStart < 10_000) {
      if (/ALERT \[\w+\] port_scan/.test(c.out())) {
        alertAt = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(alertAt).toBeGreaterThan(0);
    expect(await c.done).toBe(0);
    const out = c.out();
    expect(out.indexOf('ALERT [')).toBeLessThan(out.indexOf('NetSentry analyze:'));
    expect(out).toContain(`port_scan: ${IP_B} probed`);
  }, 60_000);
});
