import fc from 'fast-check';
import { join } from 'node:path';
import { SHARED_PCAPS, haveSharedPcaps, itIf } from '@netsentry/testing';
import { flowHash } from './flow-hash';
import { PacketRecord, L3 } from './packet';
import { readCaptureFile } from './capture/reader';

function rec(src: number[], sp: number, dst: number[], dp: number, proto = 6, vlan = 0): PacketRecord {
  const r = new PacketRecord();
  r.l3 = L3.IPv6;
  r.src.set(src);
  r.dst.set(dst);
  r.srcPort = sp;
  r.dstPort = dp;
  r.proto = proto;
  r.vlanOuter = vlan;
  return r;
}
const word = fc.integer({ min: 0, max: 0xffffffff });
const addr = fc.array(word, { minLength: 4, maxLength: 4 });
const port = fc.integer({ min: 0, max: 65535 });

describe('flowHash', () => {
  it('property: both directions of a flow hash alike, as an unsigned 32-bit integer', () => {
    fc.assert(fc.property(addr, port, addr, port, fc.integer({ min: 0, max: 255 }), (a, ap, b, bp, proto) => {
      const h = flowHash(rec(a, ap, b, bp, proto));
      expect(flowHash(rec(b, bp, a, ap, proto))).toBe(h);
      expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true);
    }), { numRuns: 2000, seed: 3 });
  });

  it('protocol, ports, VLAN and addresses are part of the key', () => {
    const a = [0, 0, 0xffff, 0x0a000001];
    const b = [0, 0, 0xffff, 0x0a000002];
    const base = flowHash(rec(a, 1000, b, 80));
    expect(flowHash(rec(a, 1000, b, 80, 17))).not.toBe(base);
    expect(flowHash(rec(a, 1001, b, 80))).not.toBe(base);
    expect(flowHash(rec(a, 1000, b, 80, 6, 42))).not.toBe(base);
    expect(flowHash(rec(a, 1000, [0, 0, 0xffff, 0x0a000003], 80))).not.toBe(base);
    // Swapping only the ports (not the addresses) is a different flow.
    expect(flowHash(rec(a, 80, b, 1000))).not.toBe(base);
  });

  itIf(haveSharedPcaps, 'shared captures not found at ../shared/data/pcaps')('spreads the flows of a real capture evenly over 16 partitions', async () => {
    // The spoofed SYN flood has tens of thousands of distinct flows.
    const seen = new Map<number, number>();
    await readCaptureFile(join(SHARED_PCAPS, 'stopddos/pkt.TCP.synflood.spoofed.pcap'), (r) => { seen.set(flowHash(r), 1); });
    const parts = new Array(16).fill(0);
    for (const h of seen.keys()) parts[h % 16]++;
    const mean = seen.size / 16;
    expect(seen.size).toBeGreaterThan(10_000);
    for (const n of parts) expect(Math.abs(n - mean) / mean).toBeLessThan(0.1);
  });
});
