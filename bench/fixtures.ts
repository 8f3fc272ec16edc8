/**
 * Shared benchmark inputs. `ensureBigCapture()` builds, once, a capture of at least 1 million
 * packets of REAL traffic made between two network namespaces joined by a veth pair, captured
 * with tcpdump, and caches it under bench/data/ (gitignored). Benchmarks of several projects
 * (packets, flows, CLI) read the same file.
 *
 * Traffic (all inside namespaces this script creates; nothing leaves them):
 *   - ICMP echo floods (ping -f) client → server,
 *   - DNS queries (A/AAAA) from 64 client sockets to a small DNS server that answers each,
 *   - HTTP/1.1: many short connections with a few small requests each, and a few bulk downloads,
 * with TCP segmentation offload off so the capture holds wire-sized frames. Needs root, ip,
 * tcpdump, ping, python3; ethtool is used when present. Bounded in time (a few minutes).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readCaptureFile } from '@netsentry/packets';
import { createNetnsPair, type NetnsPair } from '@netsentry/testing';

export const BENCH_DATA = resolve(__dirname, 'data');
export const BIG_CAPTURE = join(BENCH_DATA, 'ns-traffic-1m.pcap');
const META = `${BIG_CAPTURE}.json`;
const LOCK = join(BENCH_DATA, '.big-capture.lock');

export interface BigCaptureMeta {
  packets: number;
  bytes: number;
  createdAt: string;
  recipe: string;
}

const RECIPE = 'v2: ping -f + DNS queries/answers (64 sockets) + HTTP/1.1 short connections + bulk downloads, veth, offloads off, tcpdump -s 0';

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function run(cmd: string, args: string[], timeoutMs = 30_000): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout;
}

function capinfosPackets(path: string): number {
  const out = run('capinfos', ['-M', '-T', '-r', '-c', path], 120_000);
  return Number(out.trim().split('\t')[1]);
}

/** Cached metadata if the capture is already built with at least `minPackets`. */
export function bigCaptureMeta(minPackets = 1_000_000): BigCaptureMeta | null {
  if (!existsSync(BIG_CAPTURE) || !existsSync(META)) return null;
  try {
    const m = JSON.parse(readFileSync(META, 'utf8')) as BigCaptureMeta;
    return m.packets >= minPackets && m.recipe === RECIPE ? m : null;
  } catch {
    return null;
  }
}

const SERVER_PY = String.raw`
import http.server, socketserver, socket, sys, threading
addr = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def do_GET(self):
        try:
            n = int(self.path.strip('/') or '100')
        except ValueError:
            n = 100
        self.send_response(200)
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Content-Length', str(n))
        self.end_headers()
        chunk = b'x' * 65536
        while n > 0:
            k = min(n, 65536)
            self.wfile.write(chunk[:k])
            n -= k
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
def dns_server():
    # Answers every query with one A record (a real DNS response on the wire).
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    while True:
        q, peer = s.recvfrom(2048)
        if len(q) < 17:
            continue
        qend = 12
        while qend < len(q) and q[qend] != 0:
            qend += q[qend] + 1
        qend += 5
        ans = b'\xc0\x0c\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04' + bytes([10, 99, q[1], q[0]])
        s.sendto(q[:2] + b'\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00' + q[12:qend] + ans, peer)
threading.Thread(target=dns_server, daemon=True).start()
print('ready', flush=True)
S((addr, 8080), H).serve_forever()
`;

const CLIENT_PY = String.raw`
import http.client, socket, sys, time
server, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
deadline = time.time() + float(sys.argv[4])
if mode == 'dns':
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(64)]
    for s in socks:
        s.setblocking(False)
    names = [b'www', b'api', b'cdn', b'mail', b'static', b'img', b'auth', b'login']
    for i in range(n):
        s = socks[i % 64]
        qname = b''.join(bytes([len(l)]) + l for l in (names[i % 8] + str(i % 997).encode(), b'example', b'test')) + b'\x00'
        q = (i & 0xffff).to_bytes(2, 'big') + b'\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00' + qname + (b'\x00\x1c' if i % 3 == 0 else b'\x00\x01') + b'\x00\x01'
        s.sendto(q, (server, 53))
        try:
            while True:
                s.recv(2048)
        except BlockingIOError:
            pass
        if i % 200 == 199:
            time.sleep(0.002)
            if time.time() > deadline:
                break
elif mode == 'http':
    for i in range(n):
        c = http.client.HTTPConnection(server, 8080, timeout=5)
        for j in range(1 + i % 4):
            c.request('GET', '/%d' % (200 + (i * 131 + j * 17) % 6000))
            c.getresponse().read()
        c.close()
        if time.time() > deadline:
            break
elif mode == 'bulk':
    c = http.client.HTTPConnection(server, 8080, timeout=30)
    c.request('GET', '/%d' % n)
    r = c.getresponse()
    while r.read(1 << 20):
        if time.time() > deadline:
            break
    c.close()
`;

/** The two namespaces the capture is made between (A: clients and tcpdump, B: servers). */
function setUpLab(): NetnsPair {
  const net = 10 + (process.pid % 200);
  const lab = createNetnsPair({ prefix: 'bigcap', addresses: [`10.251.${net}.1/24`, `10.251.${net}.2/24`] });
  for (const [ns, dev] of [[lab.nsA, lab.vethA], [lab.nsB, lab.vethB]]) {
    // Wire-sized frames: no segmentation offload on either end (best effort, as the recipe says).
    try {
      if (have('ethtool')) lab.exec(ns, ['ethtool', '-K', dev, 'tso', 'off', 'gso', 'off', 'gro', 'off']);
      else run('ip', ['-n', ns, 'link', 'set', dev, 'gso_max_size', '1500', 'gso_max_segs', '1']);
    } catch {
      /* an offload this veth does not have */
    }
  }
  return lab;
}

/** Runs a generator inside `ns`; one stopped by its time bound is fine: the packets it sent are in the capture. */
function inNs(lab: NetnsPair, ns: string, cmd: string, args: string[], timeoutMs: number): void {
  lab.exec(ns, [cmd, ...args], { timeoutMs, allowTimeout: true });
}

async function waitForLine(child: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp, timeoutMs: number): Promise<void> {
  let text = '';
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`timed out waiting for ${re}: ${text}`)), timeoutMs);
    child[stream]!.on('data', (d: Buffer) => {
      text += d.toString();
      if (re.test(text)) { clearTimeout(t); res(); }
    });
    child.on('exit', (code) => { clearTimeout(t); rej(new Error(`exited ${code}: ${text}`)); });
  });
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((res) => child.once('exit', res));
  process.kill(child.pid, signal);
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
}

/** Builds the capture into `out`; returns its packet count. */
async function build(out: string, minPackets: number, log: (s: string) => void): Promise<number> {
  const lab = setUpLab();
  const cleanup = (): void => lab.destroy();
  process.once('exit', cleanup);
  const work = mkdtempSync(join(tmpdir(), 'netsentry-bigcap-'));
  try {
    const serverPy = join(work, 'server.py');
    const clientPy = join(work, 'client.py');
    writeFileSync(serverPy, SERVER_PY);
    writeFileSync(clientPy, CLIENT_PY);
    const server = lab.spawn(lab.nsB, ['python3', serverPy, lab.ipB!], { stdio: 'pipe' });
    await waitForLine(server, 'stdout', /ready/, 20_000);
    const tcpdump = lab.spawn(lab.nsA, ['tcpdump', '-i', lab.vethA, '-n', '-s', '0', '-B', '131072', '-w', out], { stdio: 'pipe' });
    await waitForLine(tcpdump, 'stderr', /listening on/, 20_000);

    const py = (mode: string, n: number, seconds: number): void =>
      inNs(lab, lab.nsA, 'python3', [clientPy, lab.ipB!, mode, String(n), String(seconds)], (seconds + 30) * 1000);
    // One round ≈ 1.1 M packets; later rounds top up if the kernel dropped some.
    for (let round = 0; round < 3; round++) {
      log(`round ${round + 1}: ping flood`);
      inNs(lab, lab.nsA, 'ping', ['-f', '-q', '-c', '260000', '-w', '60', lab.ipB!], 90_000);
      log(`round ${round + 1}: DNS queries and answers`);
      py('dns', 180_000, 60);
      log(`round ${round + 1}: HTTP short connections`);
      py('http', 3000, 60);
      log(`round ${round + 1}: HTTP bulk downloads`);
      for (let i = 0; i < 3; i++) py('bulk', 40_000_000, 30);
      await new Promise((r) => setTimeout(r, 1000));
      // tcpdump is still writing: count with our reader, which stops cleanly at a cut record.
      const partial = (await readCaptureFile(out, () => undefined)).packets;
      log(`round ${round + 1}: ${partial} packets so far`);
      if (partial >= minPackets * 1.02) break;
    }
    await stopChild(tcpdump, 'SIGINT');
    await stopChild(server, 'SIGTERM');
    return capinfosPackets(out);
  } finally {
    cleanup();
    process.removeListener('exit', cleanup);
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Path of a pcap of at least `minPackets` (default 1 M) packets of real namespace traffic,
 * built on first use (a few minutes, needs root) and cached in bench/data/. Concurrent callers
 * wait for the one building it.
 */
export async function ensureBigCapture(opts: { minPackets?: number; log?: (s: string) => void } = {}): Promise<string> {
  const minPackets = opts.minPackets ?? 1_000_000;
  const log = opts.log ?? ((s: string) => process.stderr.write(`[bench fixture] ${s}\n`));
  if (bigCaptureMeta(minPackets)) return BIG_CAPTURE;
  mkdirSync(BENCH_DATA, { recursive: true });
  // mkdir is atomic: whoever creates the lock builds; the others wait for it (a lock older than 20 minutes is stale).
  for (const started = Date.now(); ; ) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (bigCaptureMeta(minPackets)) return BIG_CAPTURE;
      if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs > 20 * 60_000) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() - started > 25 * 60_000) throw new Error('timed out waiting for another process building the big capture');
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    if (bigCaptureMeta(minPackets)) return BIG_CAPTURE;
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) throw new Error('building the big capture needs root (network namespaces, tcpdump)');
    for (const cmd of ['ip', 'tcpdump', 'ping', 'python3', 'capinfos']) if (!have(cmd)) throw new Error(`building the big capture needs ${cmd} on PATH`);
    const tmp = `${BIG_CAPTURE}.partial`;
    rmSync(tmp, { force: true });
    log(`building ${BIG_CAPTURE} (>= ${minPackets} packets of namespace traffic)`);
    const t0 = Date.now();
    const packets = await build(tmp, minPackets, log);
    if (packets < minPackets) throw new Error(`capture has only ${packets} packets (< ${minPackets})`);
    renameSync(tmp, BIG_CAPTURE);
    const meta: BigCaptureMeta = { packets, bytes: statSync(BIG_CAPTURE).size, createdAt: new Date().toISOString(), recipe: RECIPE };
    writeFileSync(META, JSON.stringify(meta, null, 2));
    log(`built ${packets} packets, ${(meta.bytes / 1e6).toFixed(1)} MB in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return BIG_CAPTURE;
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
