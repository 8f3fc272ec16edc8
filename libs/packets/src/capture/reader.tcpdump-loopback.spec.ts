import { spawn, execFileSync } from 'node:child_process';
import { createServer, connect, type AddressInfo } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { haveCommand, isRoot, itIf } from '@netsentry/testing';
import { readCaptureFile, type CaptureSummary } from './reader';
import { ipToString } from '../address';
import { L3 } from '../packet';

/*
 * Captures we make ourselves: tcpdump/dumpcap on the loopback interface while this process
 * makes known traffic (TCP connections, UDP over IPv4 and IPv6, to 127.0.0.1 / ::1 only).
 * The reader must find exactly that traffic, in every file format and link type the tools write.
 */
const canCapture = isRoot && haveCommand('tcpdump') && haveCommand('dumpcap') && haveCommand('capinfos') && haveCommand('tshark');
const reason = !isRoot ? 'needs root to capture on lo' : 'needs tcpdump, dumpcap and capinfos (apt-get install tcpdump tshark)';

const TCP_CONNS = 12;
const UDP4 = 30;
const UDP6 = 10;

interface Traffic { tcpPort: number; udpPort: number; clientPorts: Set<number>; udpPayload: number; /** Kernel drops the tool reported at exit (null if unknown). */ dropped: number | null }

async function listen(): Promise<{ close: () => Promise<void>; tcpPort: number; udpPort: number }> {
  const server = createServer((s) => { s.on('data', () => s.end('ok')); s.on('error', () => undefined); });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const udp4 = createSocket('udp4');
  await new Promise<void>((res) => udp4.bind(0, '127.0.0.1', res));
  const udpPort = (udp4.address() as AddressInfo).port;
  const udp6 = createSocket({ type: 'udp6', ipv6Only: true });
  await new Promise<void>((res) => udp6.bind(udpPort, '::1', res));
  return {
    tcpPort: (server.address() as AddressInfo).port,
    udpPort,
    close: async () => {
      udp4.close();
      udp6.close();
      await new Promise((res) => server.close(res));
    },
  };
}

async function makeTraffic(tcpPort: number, udpPort: number): Promise<Traffic> {
  const clientPorts = new Set<number>();
  for (let i = 0; i < TCP_CONNS; i++) {
    await new Promise<void>((res, rej) => {
      const c = connect(tcpPort, '127.0.0.1', () => { clientPorts.add(c.localPort!); c.write('hello'); });
      c.on('data', () => c.end());
      c.on('close', () => res());
      c.on('error', rej);
    });
  }
  const payload = Buffer.alloc(33, 7);
  for (const [fam, addr, n] of [['udp4', '127.0.0.1', UDP4], ['udp6', '::1', UDP6]] as const) {
    const s = createSocket(fam);
    for (let i = 0; i < n; i++) await new Promise<void>((res) => s.send(payload, udpPort, addr, () => res()));
    s.close();
  }
  return { tcpPort, udpPort, clientPorts, udpPayload: payload.length, dropped: null };
}

/** Sends UDP probes (payload = tag) until one with that tag is in the capture file (at most 15 s). */
async function untilProbeCaptured(cmd: string, file: string, probe: Socket, port: number, tag: string): Promise<void> {
  const payloadLen = tag.length;
  for (let i = 0; i < 150; i++) {
    await new Promise<void>((res) => probe.send(Buffer.from(tag), port, '127.0.0.1', () => res()));
    await new Promise((r) => setTimeout(r, 100));
    let seen = false;
    if (existsSync(file)) await readCaptureFile(file, (r) => { if (r.dstPort === port && r.payloadLen === payloadLen) seen = true; });
    if (seen) return;
  }
  throw new Error(`${cmd} did not write the ${tag} probe within 15 s`);
}

/** Runs a capture tool until it is capturing, makes the traffic, then stops the tool by PID. */
async function capture(cmd: string, args: string[], file: string): Promise<Traffic> {
  const srv = await listen();
  // "listening on" is printed before packets flow on some interfaces: probes to a third port
  // are sent until one shows up in the file, so the measured traffic starts once capture runs.
  const probe = createSocket('udp4');
  await new Promise<void>((res) => probe.bind(0, '127.0.0.1', res));
  const probePort = (probe.address() as AddressInfo).port;
  const filter = `port ${srv.tcpPort} or port ${srv.udpPort} or port ${probePort}`;
  const child = spawn(cmd, [...args, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((res) => child.once('exit', res));
    if (child.pid !== undefined) process.kill(child.pid, 'SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  };
  try {
    await new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`${cmd} did not start: ${err}`)), 15_000);
      child.stderr!.on('data', () => {
        if (/listening on|Capturing on/.test(err)) { clearTimeout(t); res(); }
      });
      child.on('exit', (code) => { clearTimeout(t); rej(new Error(`${cmd} exited ${code}: ${err}`)); });
    });
    await untilProbeCaptured(cmd, file, probe, probePort, 'start');
    const traffic = await makeTraffic(srv.tcpPort, srv.udpPort);
    // Packets are written in order: once an end probe is in the file, all the traffic is too.
    await untilProbeCaptured(cmd, file, probe, probePort, 'end');
    await stop();
    const m = /(\d+) packets dropped by kernel|received\/dropped on interface[^:]*: \d+\/(\d+)/.exec(err);
    traffic.dropped = m ? Number(m[1] ?? m[2]) : null;
    return traffic;
  } finally {
    await stop();
    probe.close();
    await srv.close();
  }
}

function capinfosPackets(path: string): number {
  const out = execFileSync('capinfos', ['-M', '-c', '-T', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return Number(out.trim().split('\n').pop()!.split('\t')[1]);
}

/** What tshark (an independent reader) finds in the file: SYN source ports and UDP counts. */
function tsharkView(path: string, t: Traffic): { syns: Set<number>; udp4: number; udp6: number } {
  const out = execFileSync('tshark', ['-n', '-r', path, '-T', 'fields', '-e', 'tcp.srcport', '-e', 'ip.src', '-e', 'ipv6.dst', '-e', 'udp.dstport', '-e', 'tcp.flags', '-e', 'tcp.dstport'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
  const syns = new Set<number>();
  let udp4 = 0;
  let udp6 = 0;
  for (const line of out.split('\n')) {
    const [sport, ip4, ip6dst, udport, flags, tdport] = line.split('\t');
    if (flags === '0x0002' && Number(tdport) === t.tcpPort) syns.add(Number(sport));
    if (Number(udport) === t.udpPort) {
      if (ip4) udp4++;
      else if (ip6dst === '::1') udp6++;
    }
  }
  return { syns, udp4, udp6 };
}

async function check(path: string, t: Traffic, format: CaptureSummary['format'], linkType: number): Promise<void> {
  const syns = new Set<number>();
  let udp4 = 0;
  let udp6 = 0;
  let wrongPayload = 0;
  const s = await readCaptureFile(path, (r) => {
    if (r.proto === 6 && r.tcpFlags === 0x02 && r.dstPort === t.tcpPort && ipToString(r.src) === '127.0.0.1') syns.add(r.srcPort);
    if (r.proto === 17 && r.dstPort === t.udpPort) {
      if (r.payloadLen !== t.udpPayload) wrongPayload++;
      if (r.l3 === L3.IPv4) udp4++;
      else if (r.l3 === L3.IPv6 && ipToString(r.dst) === '::1') udp6++;
    }
  });
  expect(s.error).toBeUndefined();
  expect(s.format).toBe(format);
  expect(s.linkTypes).toEqual([linkType]);
  expect(s.decodeErrors).toEqual({});
  expect(s.packets).toBe(capinfosPackets(path));
  expect(s.decoded).toBe(s.packets);
  expect(wrongPayload).toBe(0);
  // Same view as tshark of the same file...
  const ts = tsharkView(path.endsWith('.gz') ? path.slice(0, -3) : path, t);
  expect(syns).toEqual(ts.syns);
  expect([udp4, udp6]).toEqual([ts.udp4, ts.udp6]);
  // ...and, when the kernel dropped nothing, exactly the traffic we made.
  if (t.dropped === 0) {
    expect(syns).toEqual(t.clientPorts);
    expect([udp4, udp6]).toEqual([UDP4, UDP6]);
  } else {
    for (const p of syns) expect(t.clientPorts.has(p)).toBe(true);
    expect(syns.size + udp4 + udp6).toBeGreaterThan(0);
  }
}

describe('captures made with tcpdump/dumpcap on loopback', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'netsentry-lo-')); });
  afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

  itIf(canCapture, reason)('tcpdump -i lo: Ethernet pcap (µs), and its gzip', async () => {
    const f = join(dir, 'lo.pcap');
    const t = await capture('tcpdump', ['-i', 'lo', '-U', '--immediate-mode', '-B', '16384', '-n', '-w', f], f);
    await check(f, t, 'pcap', 1);
    writeFileSync(`${f}.gz`, gzipSync(readFileSync(f)));
    await check(`${f}.gz`, t, 'pcap.gz', 1);
  });

  itIf(canCapture, reason)('tcpdump --time-stamp-precision=nano: nanosecond pcap', async () => {
    const f = join(dir, 'lo-ns.pcap');
    const t = await capture('tcpdump', ['-i', 'lo', '-U', '--immediate-mode', '-B', '16384', '-n', '--time-stamp-precision=nano', '-w', f], f);
    expect(readFileSync(f).readUInt32LE(0)).toBe(0xa1b23c4d);
    await check(f, t, 'pcap', 1);
  });

  itIf(canCapture, reason)('tcpdump -i any -y LINUX_SLL: Linux cooked v1', async () => {
    const f = join(dir, 'any-sll.pcap');
    const t = await capture('tcpdump', ['-i', 'any', '-y', 'LINUX_SLL', '-U', '--immediate-mode', '-B', '16384', '-n', '-w', f], f);
    await check(f, t, 'pcap', 113);
  });

  itIf(canCapture, reason)('tcpdump -i any -y LINUX_SLL2: Linux cooked v2', async () => {
    const f = join(dir, 'any-sll2.pcap');
    const t = await capture('tcpdump', ['-i', 'any', '-y', 'LINUX_SLL2', '-U', '--immediate-mode', '-B', '16384', '-n', '-w', f], f);
    await check(f, t, 'pcap', 276);
  });

  itIf(canCapture, reason)('dumpcap -i lo: pcapng', async () => {
    const f = join(dir, 'lo.pcapng');
    const t = await capture('dumpcap', ['-i', 'lo', '-q', '-w', f, '-f'], f);
    await check(f, t, 'pcapng', 1);
  });
});
