/**
 * Reads the IPv4 packets of a lab capture, (time, source, destination, wire length), through
 * @netsentry/packets. The lab's captures are IPv4 only (IPv6 is switched off in the namespaces).
 */
import { readCaptureFile } from '@netsentry/packets';

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

export async function readIpv4Packets(path: string, onPacket: OnIpv4Packet): Promise<ReadResult> {
  let ipv4 = 0;
  let summary;
  try {
    summary = await readCaptureFile(path, (rec) => {
      // 4 = L3.IPv4 (a const enum, not a runtime value across projects).
      if (rec.l3 !== 4) return;
      ipv4++;
      onPacket(rec.tsUs, rec.src[3] >>> 0, rec.dst[3] >>> 0, rec.wireLen);
    });
  } catch (e) {
    return { ok: false, code: 'CAPTURE.READ', reason: (e as Error).message };
  }
  if (summary.error) return { ok: false, code: 'CAPTURE.READ', reason: `${summary.error.code}: ${summary.error.message}` };
  return { ok: true, packets: summary.packets, ipv4, firstUs: summary.firstTsUs, lastUs: summary.lastTsUs };
}
