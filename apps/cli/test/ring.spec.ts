import { readCaptureFile, PacketRecord } from '@netsentry/packets';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { itIf } from '@netsentry/testing';
import { R, ringRead, ringWrite } from '../src/analyze.thread';
import { SAMPLES } from './helpers';

/**
 * The two-thread hand-over's packet ring (analyze.thread.ts): every field the packet side reads
 * (StatsBuilder.add, TrafficCounters.add) and the new-flow bit come back as written, for real
 * packets and for the extremes of each field, at every slot including the wrap-around.
 */
const FIELDS = [
  'tsUs', 'wireLen', 'l3', 'proto', 'srcPort', 'dstPort', 'tcpFlags', 'icmpType', 'arpOp', 'arpSenderIp', 'arpTargetIp',
  'isFragment', 'isFirstFragment',
] as const;

function fields(r: PacketRecord): unknown[] {
  return [...FIELDS.map((f) => r[f]), [...r.src], [...r.dst]];
}

describe('analyze packet ring', () => {
  const u = new Uint32Array(R.PACKETS * R.WORDS);
  const ts = new Float64Array(R.PACKETS);

  it('round-trips the extremes of every field and the new-flow bit, across the wrap-around', () => {
    const w = new PacketRecord();
    const r = new PacketRecord();
    const cases: Array<(p: PacketRecord) => void> = [
      (p) => { p.tsUs = 1_700_000_000_123_456; p.wireLen = 0xffffffff; p.l3 = 0x0806 as PacketRecord['l3']; p.arpOp = 0xffff; p.arpSenderIp = 0xffffffff; p.arpTargetIp = 0x80000000; },
      (p) => { p.tsUs = 0; p.l3 = 6 as PacketRecord['l3']; p.proto = 58; p.icmpType = 255; p.src.set([0x20010db8, 0, 0xffffffff, 1]); p.dst.set([0xfe800000, 0, 0, 0xffffffff]); },
      (p) => { p.tsUs = 2 ** 52 + 1; p.l3 = 4 as PacketRecord['l3']; p.proto = 6; p.srcPort = 0xffff; p.dstPort = 0; p.tcpFlags = 0xff; p.isFragment = true; p.isFirstFragment = true; },
      (p) => { p.proto = 17; p.srcPort = 0; p.dstPort = 0xffff; p.isFragment = true; p.isFirstFragment = false; p.src.set([0, 0, 0xffff, 0xc0a80001]); },
    ];
    for (const i of [0, 1, R.PACKETS - 2, R.PACKETS - 1, R.PACKETS, R.PACKETS + 3, 7 * R.PACKETS + 5]) {
      for (let c = 0; c < cases.length; c++) {
        w.reset();
        cases[c](w);
        const newFlow = (i + c) % 2 === 0;
        ringWrite(u, ts, i, w, newFlow);
        r.reset();
        expect(ringRead(u, ts, i, r)).toBe(newFlow);
        expect(fields(r)).toEqual(fields(w));
      }
    }
  });

  itIf(existsSync(join(SAMPLES, 'attacks.pcap')), 'needs data/samples/attacks.pcap (lab)')('round-trips every packet of the lab attacks sample', async () => {
    const r = new PacketRecord();
    let n = 0;
    let mismatches = 0;
    await readCaptureFile(join(SAMPLES, 'attacks.pcap'), (rec) => {
      ringWrite(u, ts, n, rec, (n & 1) === 1);
      r.reset();
      if (ringRead(u, ts, n, r) !== ((n & 1) === 1)) mismatches++;
      else if (JSON.stringify(fields(r)) !== JSON.stringify(fields(rec))) mismatches++;
      n++;
    });
    expect(n).toBeGreaterThan(1000);
    expect(mismatches).toBe(0);
  });
});
