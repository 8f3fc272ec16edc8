/**
 * Reads the IPv4 packets of a lab capture: (time, source, destination, wire length).
 *
 * TODO(packets): switch to @netsentry/packets `readCaptureFile` once it lands; until then the
 * lab reads its own captures through `tshark -T fields` (the fallback the plan allows).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Called once per IPv4 packet; addresses as 32-bit unsigned integers. */
export type OnIpv4Packet = (tsUs: number, src: number, dst: number, wireLen: number) => void;

export type ReadResult = { ok: true; packets: number; ipv4: number; firstUs: number; lastUs: number } | { ok: false; code: 'CAPTURE.READ'; reason: string };

export function ipv4ToInt(s: string): number {
  const p = s.split('.');
  if (p.length !== 4) return -1;
  let v = 0;
  for (const x of p) {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 0 || n > 255) return -1;
    v = v * 256 + n;
  }
  return v;
}

export function intToIpv4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** `1763920000.123456789` → microseconds, exactly (no floating point on the fraction). */
export function epochTextToUs(t: string): number {
  const dot = t.indexOf('.');
  if (dot < 0) return Number(t) * 1e6;
  const frac = (t.slice(dot + 1) + '000000').slice(0, 6);
  return Number(t.slice(0, dot)) * 1e6 + Number(frac);
}

export function readIpv4Packets(path: string, onPacket: OnIpv4Packet): Promise<ReadResult> {
  return new Promise((resolve) => {
    const child = spawn('tshark', ['-n', '-r', path, '-T', 'fields', '-E', 'occurrence=f', '-E', 'separator=,', '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'frame.len'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let packets = 0;
    let ipv4 = 0;
    let firstUs = Infinity;
    let lastUs = -Infinity;
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (line) => {
      const [t, s, d, len] = line.split(',');
      const ts = epochTextToUs(t);
      if (!Number.isFinite(ts)) return;
      packets++;
      if (ts < firstUs) firstUs = ts;
      if (ts > lastUs) lastUs = ts;
      if (!s || !d) return;
      const a = ipv4ToInt(s);
      const b = ipv4ToInt(d);
      if (a < 0 || b < 0) return;
      ipv4++;
      onPacket(ts, a, b, Number(len));
    });
    child.once('error', (e) => resolve({ ok: false, code: 'CAPTURE.READ', reason: e.message }));
    child.once('close', (code) => {
      if (code !== 0) resolve({ ok: false, code: 'CAPTURE.READ', reason: `tshark exited ${code}: ${err.trim()}` });
      else resolve({ ok: true, packets, ipv4, firstUs: packets ? firstUs : 0, lastUs: packets ? lastUs : 0 });
    });
  });
}
