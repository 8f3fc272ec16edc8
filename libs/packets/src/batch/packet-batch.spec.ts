import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_PCAPS, haveSharedPcaps, itIf } from '@netsentry/testing';
import { BATCH_HEADER, PacketBatchBuilder, ROW_BYTES, decodePacketBatch } from './packet-batch';
import { PacketRecord, type L3 } from '../packet';
import { recordFields } from '../testing/record';
import { CaptureFramer } from '../capture/framer';
import { decodeFrame } from '../decode/frame';
import { ether, ipv4, prng, tcp } from '../testing/capture.builder';

const u = (bits: number): fc.Arbitrary<number> => fc.integer({ min: 0, max: 2 ** bits - 1 });

/** Any record the decoder can produce: every field within its wire range. */
const recordArb = fc.record({
  tsUs: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  wireLen: u(32), capLen: u(32), linkType: u(16), ifIndex: u(32), vlanOuter: u(12), vlanInner: u(12),
  l3: fc.constantFrom(0, 4, 6, 0x0806), src: fc.array(u(32), { minLength: 4, maxLength: 4 }), dst: fc.array(u(32), { minLength: 4, maxLength: 4 }),
  proto: u(8), ttl: u(8), ipHdrLen: u(16), ipLen: u(32), isFragment: fc.boolean(), isFirstFragment: fc.boolean(),
  srcPort: u(16), dstPort: u(16), tcpFlags: u(8), seq: u(32), ack: u(32), window: u(16), l4HdrLen: u(16), payloadLen: u(32),
  icmpType: u(8), icmpCode: u(8), arpOp: u(16), arpSenderIp: u(32), arpTargetIp: u(32),
}).map(({ src, dst, l3, ...rest }) => {
  const r = new PacketRecord();
  Object.assign(r, rest);
  r.l3 = l3 as L3;
  r.src.set(src);
  r.dst.set(dst);
  return r;
});

function roundTrip(recs: PacketRecord[]): unknown[][] {
  const b = new PacketBatchBuilder(Math.max(1, recs.length));
  for (const r of recs) expect(b.add(r)).toBe(true);
  const buf = b.build();
  expect(buf.length).toBe(BATCH_HEADER + recs.length * ROW_BYTES);
  // Kafka hands out Buffers at odd offsets inside bigger slabs.
  const slab = Buffer.alloc(buf.length + 3);
  buf.copy(slab, 3);
  const res = decodePacketBatch(slab.subarray(3));
  if (!res.ok) throw new Error(res.reason);
  const out: unknown[][] = [];
  const rec = new PacketRecord();
  for (let i = 0; i < res.batch.count; i++) {
    expect(res.batch.read(i, rec)).toBe(true);
    out.push(recordFields(rec));
  }
  expect(res.batch.read(res.batch.count, rec)).toBe(false);
  return out;
}

describe('packet batch codec', () => {
  it('property: encode → decode is the identity for any record', () => {
    fc.assert(fc.property(fc.array(recordArb, { maxLength: 40 }), (recs) => {
      expect(roundTrip(recs)).toEqual(recs.map(recordFields));
    }), { numRuns: 300, seed: 3 });
  });

  itIf(haveSharedPcaps, 'shared captures not found at ../shared/data/pcaps')('every decoded packet of several real captures survives a round trip', () => {
    for (const f of ['zeek/vlan-collisions.pcap', 'suricata-verify/ipv6-rsmurf6.pcap', 'stopddos/amp.dns.RRSIG.fragmented.pcap', 'sgr-favilli/hs-arpScan.pcap', 'zeek/pcapng-multi-interface.pcapng', 'suricata-verify/sll2-http.pcap']) {
      const recs: PacketRecord[] = [];
      const framer = new CaptureFramer(f, (fr) => {
        const r = new PacketRecord();
        if (decodeFrame(fr.linkType, fr.buf, fr.off, fr.capLen, fr.wireLen, fr.tsUs, r) === 0) {
          r.ifIndex = fr.ifIndex;
          recs.push(r);
        }
      });
      framer.push(readFileSync(join(SHARED_PCAPS, f)));
      expect(recs.length).toBeGreaterThan(0);
      expect(roundTrip(recs).map((x) => x.join(','))).toEqual(recs.map((r) => recordFields(r).join(',')));
    }
  });

  it('builder: size, full(), add past capacity, reset', () => {
    const b = new PacketBatchBuilder(2);
    const r = new PacketRecord();
    expect([b.size, b.full()]).toEqual([0, false]);
    expect(b.add(r)).toBe(true);
    expect(b.add(r)).toBe(true);
    expect([b.size, b.full(), b.add(r), b.size]).toEqual([2, true, false, 2]);
    expect(b.byteLength).toBe(b.build().length);
    b.reset();
    expect(b.size).toBe(0);
    const empty = decodePacketBatch(b.build());
    expect(empty.ok && empty.batch.count).toBe(0);
    expect(() => new PacketBatchBuilder(0)).toThrow(RangeError);
  });

  it('golden bytes: the v1 header layout is stable', () => {
    const b = new PacketBatchBuilder(4);
    const r = new PacketRecord();
    decodeFrame(1, ether(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, payload: tcp({ sport: 1, dport: 2, flags: 2 }) })), 0, 54, 54, 1_000_000, r);
    b.add(r);
    const buf = b.build();
    expect(buf.subarray(0, 16).toString('hex')).toBe('4e535042' + '01' + '00' + ROW_BYTES.toString(16).padStart(2, '0') + '00' + '01000000' + '00000000');
    expect(ROW_BYTES).toBe(102);
    expect(buf.readDoubleLE(16)).toBe(1_000_000);
  });

  describe('a batch it cannot read is an error value, never a throw', () => {
    const b = new PacketBatchBuilder(3);
    const r = new PacketRecord();
    b.add(r); b.add(r); b.add(r);
    const good = b.build();
    const patched = (at: number, v: number): Buffer => { const x = Buffer.from(good); x[at] = v; return x; };
    it.each([
      ['empty', 'BATCH.TOO_SHORT', Buffer.alloc(0)],
      ['header cut', 'BATCH.TOO_SHORT', good.subarray(0, 15)],
      ['JSON instead', 'BATCH.BAD_MAGIC', Buffer.from('{"packets":[1,2,3]}')],
      ['version 2', 'BATCH.UNSUPPORTED_VERSION', patched(4, 2)],
      ['version 0', 'BATCH.UNSUPPORTED_VERSION', patched(4, 0)],
      ['unknown flags', 'BATCH.UNSUPPORTED_FLAGS', patched(5, 1)],
      ['row size changed', 'BATCH.BAD_LENGTH', patched(6, 99)],
      ['count larger than data', 'BATCH.BAD_LENGTH', patched(8, 4)],
      ['count absurd', 'BATCH.BAD_LENGTH', patched(11, 0xff)],
      ['one byte short', 'BATCH.BAD_LENGTH', good.subarray(0, good.length - 1)],
      ['one byte extra', 'BATCH.BAD_LENGTH', Buffer.concat([good, Buffer.alloc(1)])],
    ] as [string, string, Buffer][])('%s → %s', (_n, code, buf) => {
      const res = decodePacketBatch(buf);
      expect(res.ok).toBe(false);
      if (!res.ok) {
        expect(res.code).toBe(code);
        expect(res.reason.length).toBeGreaterThan(0);
      }
    });

    it('impossible values are refused (network layer, fragment bits)', () => {
      const l3At = BATCH_HEADER + 3 * (8 + 17 * 4) + 3 * 2 * 1; // first l3 slot (after tsUs, u32 columns, linkType)
      const bad = Buffer.from(good);
      bad[l3At] = 5;
      const res = decodePacketBatch(bad);
      expect(!res.ok && res.code).toBe('BATCH.BAD_VALUE');
    });

    it('5000 random corruptions and truncations: never throws', () => {
      const rand = prng(77);
      for (let i = 0; i < 5000; i++) {
        let x = Buffer.from(good);
        const k = Math.floor(rand() * 4);
        for (let j = 0; j <= k; j++) x[Math.floor(rand() * x.length)] = Math.floor(rand() * 256);
        if (rand() < 0.3) x = x.subarray(0, Math.floor(rand() * x.length));
        const res = decodePacketBatch(x);
        if (typeof res.ok !== 'boolean') throw new Error(`case ${i}: no result`);
      }
    });
  });
});
