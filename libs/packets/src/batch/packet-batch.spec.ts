import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_PCAPS, haveSharedPcaps, itIf } from '@netsentry/testing';
import { BATCH_HEADER, BATCH_MAX_PACKETS, BATCH_VERSION, PacketBatchBuilder, PacketBatchDecoder, ROW_BYTES, decodePacketBatch } from './packet-batch';
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

/**
 * Records whose fields come from tiny domains, so that within a batch whole columns are zero,
 * constant, equal to the previous column or spread over a narrow time range: every version-2 mode.
 */
const lowEntropyArb = fc.record({
  base: fc.constantFrom(0, 1_700_000_000_000_000, Number.MAX_SAFE_INTEGER - 2 ** 33),
  dts: fc.array(fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 33 })), { maxLength: 40 }),
  pick: fc.array(fc.array(fc.constantFrom(0, 1, 2), { minLength: 40, maxLength: 40 }), { minLength: 40, maxLength: 40 }),
}).map(({ base, dts, pick }) => dts.map((d, i) => {
  const r = new PacketRecord();
  const p = pick[i];
  const v = (k: number, bits: number): number => [0, 7, 2 ** bits - 1][p[k]];
  r.tsUs = base + d;
  r.wireLen = v(0, 32); r.capLen = p[1] === 2 ? r.wireLen : v(1, 32); r.linkType = v(2, 16); r.ifIndex = v(3, 32);
  r.vlanOuter = v(4, 12); r.vlanInner = v(5, 12); r.l3 = [0, 4, 6][p[6]] as L3;
  for (let w = 0; w < 4; w++) { r.src[w] = v(7 + w, 32); r.dst[w] = p[11 + w] === 2 ? r.src[w] : v(11 + w, 32); }
  r.proto = v(15, 8); r.ttl = v(16, 8); r.ipHdrLen = v(17, 16); r.ipLen = v(18, 32); r.isFragment = p[19] === 1; r.isFirstFragment = p[20] === 1;
  r.srcPort = v(21, 16); r.dstPort = v(22, 16); r.tcpFlags = v(23, 8); r.seq = v(24, 32); r.ack = p[25] === 2 ? r.seq : v(25, 32);
  r.window = v(26, 16); r.l4HdrLen = v(27, 16); r.payloadLen = v(28, 32); r.icmpType = v(29, 8); r.icmpCode = v(30, 8);
  r.arpOp = v(31, 16); r.arpSenderIp = v(32, 32); r.arpTargetIp = v(33, 32);
  return r;
}));

function roundTrip(recs: PacketRecord[], version: 1 | 2 = 2): unknown[][] {
  const b = new PacketBatchBuilder(Math.max(1, recs.length));
  for (const r of recs) expect(b.add(r)).toBe(true);
  const buf = b.build(version);
  if (version === 1) expect(buf.length).toBe(BATCH_HEADER + recs.length * ROW_BYTES);
  else expect(buf.length).toBe(b.byteLength);
  expect(buf[4]).toBe(version);
  // Kafka hands out Buffers at odd offsets inside bigger slabs.
  const slab = Buffer.alloc(buf.length + 3);
  buf.copy(slab, 3);
  const res = decodePacketBatch(slab.subarray(3));
  if (!res.ok) throw new Error(res.reason);
  expect(res.batch.version).toBe(version);
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
  it('property: encode → decode is the identity for any record, in both versions', () => {
    fc.assert(fc.property(fc.array(recordArb, { maxLength: 40 }), (recs) => {
      expect(roundTrip(recs, 2)).toEqual(recs.map(recordFields));
      expect(roundTrip(recs, 1)).toEqual(recs.map(recordFields));
    }), { numRuns: 300, seed: 3 });
  });

  it('property: identity for batches with zero, constant, repeated and narrow-time columns (every version-2 mode)', () => {
    const seen = new Set<number>();
    fc.assert(fc.property(lowEntropyArb, (recs) => {
      expect(roundTrip(recs, 2)).toEqual(recs.map(recordFields));
      const b = new PacketBatchBuilder(Math.max(1, recs.length));
      for (const r of recs) b.add(r);
      for (const m of b.build().subarray(BATCH_HEADER, BATCH_HEADER + 34)) seen.add(m);
    }), { numRuns: 400, seed: 5 });
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
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
      const want = recs.map((r) => recordFields(r).join(','));
      expect(roundTrip(recs, 2).map((x) => x.join(','))).toEqual(want);
      expect(roundTrip(recs, 1).map((x) => x.join(','))).toEqual(want);
    }
  });

  itIf(haveSharedPcaps, 'shared captures not found at ../shared/data/pcaps')('version 2 is at most 60% of version 1 on a real TCP capture, in 4096-packet batches', () => {
    const b = new PacketBatchBuilder(4096);
    let v1 = 0;
    let v2 = 0;
    const framer = new CaptureFramer('http', (fr) => {
      const r = new PacketRecord();
      if (decodeFrame(fr.linkType, fr.buf, fr.off, fr.capLen, fr.wireLen, fr.tsUs, r) !== 0) return;
      b.add(r);
      if (b.full()) {
        v1 += b.build(1).length;
        v2 += b.build(2).length;
        b.reset();
      }
    });
    framer.push(readFileSync(join(SHARED_PCAPS, 'stopddos/pkt.TCP.synflood.spoofed.pcap')));
    expect(v1).toBeGreaterThan(0);
    expect(v2 / v1).toBeLessThan(0.6);
  });

  it('PacketBatchDecoder: reusing its columns gives the same records as a fresh decode, batch after batch', () => {
    const batches = fc.sample(fc.oneof(lowEntropyArb, fc.array(recordArb, { maxLength: 40 })), { numRuns: 300, seed: 9 });
    const dec = new PacketBatchDecoder();
    const rec = new PacketRecord();
    for (const [k, recs] of batches.entries()) {
      const b = new PacketBatchBuilder(Math.max(1, recs.length));
      for (const r of recs) b.add(r);
      const res = dec.decode(b.build(k % 5 === 0 ? 1 : 2));
      if (!res.ok) throw new Error(res.reason);
      const got: unknown[][] = [];
      for (let i = 0; i < res.batch.count; i++) {
        res.batch.read(i, rec);
        got.push(recordFields(rec));
      }
      expect(got).toEqual(recs.map(recordFields));
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

  it('a count above BATCH_MAX_PACKETS (what a sensor sends at most) is refused before anything is decoded', () => {
    expect(BATCH_MAX_PACKETS).toBe(65536);
    expect(() => new PacketBatchBuilder(BATCH_MAX_PACKETS + 1)).toThrow(RangeError);
    // Version 2, every column constant (l3 = 4, the rest zero): 52 bytes whatever the count claims.
    const constant = (count: number): Buffer => {
      const x = Buffer.alloc(52);
      x.writeUInt32LE(0x4250534e, 0);
      x[4] = 2;
      x.writeUInt16LE(ROW_BYTES, 6);
      x.writeUInt32LE(count, 8);
      x[16 + 19] = 1; // slot 19 (l3): one constant
      x.writeUInt16LE(4, 50);
      return x;
    };
    for (const count of [BATCH_MAX_PACKETS + 1, 1 << 20, 0xffffffff]) {
      const res = decodePacketBatch(constant(count));
      expect(res).toEqual({ ok: false, code: 'BATCH.TOO_MANY_PACKETS', reason: `${count} packets in one batch; a sensor sends at most 65536` });
    }
    const max = decodePacketBatch(constant(BATCH_MAX_PACKETS));
    expect(max.ok && max.batch.count).toBe(BATCH_MAX_PACKETS);
  });

  it('golden bytes: the v1 and v2 layouts are stable', () => {
    const b = new PacketBatchBuilder(4);
    const r = new PacketRecord();
    decodeFrame(1, ether(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, payload: tcp({ sport: 1, dport: 2, flags: 2 }) })), 0, 54, 54, 1_000_000, r);
    b.add(r);
    const v1 = b.build(1);
    expect(v1.subarray(0, 16).toString('hex')).toBe('4e535042' + '01' + '00' + ROW_BYTES.toString(16).padStart(2, '0') + '00' + '01000000' + '00000000');
    expect(ROW_BYTES).toBe(102);
    expect(v1.readDoubleLE(16)).toBe(1_000_000);
    expect(BATCH_VERSION).toBe(2);
    r.tsUs = 1_000_007;
    b.add(r);
    const v2 = b.build();
    expect(v2.subarray(0, 16).toString('hex')).toBe('4e535042' + '02' + '00' + ROW_BYTES.toString(16).padStart(2, '0') + '00' + '02000000' + '00000000');
    // Slot modes: tsUs base + deltas; wireLen, capLen, ipLen, seq const; src/dst words 2 (0xffff) and 3 const;
    // linkType, l3, srcPort, dstPort, ipHdrLen, window, l4HdrLen, proto, ttl, tcpFlags const; the rest zero.
    expect([...v2.subarray(16, 50)].join('')).toBe('4' + '110110000' + '0011' + '0011' + '1100111110' + '111000');
    expect(v2.readDoubleLE(50)).toBe(1_000_000);
    expect(v2.length).toBe(50 + 8 + 4 * 4 + 4 * 4 + 2 * 7 + 3 + 2 * 4);
    expect(v2.readUInt32LE(v2.length - 4)).toBe(7);
  });

  describe.each([1, 2] as const)('version %i: a batch it cannot read is an error value, never a throw', (version) => {
    // Three different real-looking packets, so that version 2 keeps per-packet columns.
    const b = new PacketBatchBuilder(3);
    for (let k = 0; k < 3; k++) {
      const r = new PacketRecord();
      decodeFrame(1, ether(0x0800, ipv4({ src: `10.0.0.${k + 1}`, dst: '10.0.0.9', proto: 6, payload: tcp({ sport: 1000 + k, dport: 80, flags: 2 + k }) })), 0, 54, 54, 1_000_000 + k * 3, r);
      b.add(r);
    }
    const good = b.build(version);
    const patched = (at: number, v: number): Buffer => { const x = Buffer.from(good); x[at] = v; return x; };
    const cases: [string, string, Buffer][] = [
      ['empty', 'BATCH.TOO_SHORT', Buffer.alloc(0)],
      ['header cut', 'BATCH.TOO_SHORT', good.subarray(0, 15)],
      ['JSON instead', 'BATCH.BAD_MAGIC', Buffer.from('{"packets":[1,2,3]}')],
      ['version 3', 'BATCH.UNSUPPORTED_VERSION', patched(4, 3)],
      ['version 0', 'BATCH.UNSUPPORTED_VERSION', patched(4, 0)],
      ['unknown flags', 'BATCH.UNSUPPORTED_FLAGS', patched(5, 1)],
      ['row size changed', 'BATCH.BAD_LENGTH', patched(6, 99)],
      ['count larger than data', 'BATCH.BAD_LENGTH', patched(8, 4)],
      ['count absurd', 'BATCH.TOO_MANY_PACKETS', patched(11, 0xff)],
      ['one byte short', 'BATCH.BAD_LENGTH', good.subarray(0, good.length - 1)],
      ['one byte extra', 'BATCH.BAD_LENGTH', Buffer.concat([good, Buffer.alloc(1)])],
      ['other version stamped', version === 1 ? 'BATCH.BAD_VALUE' : 'BATCH.BAD_LENGTH', patched(4, 3 - version)],
    ];
    if (version === 2) {
      cases.push(
        ['v2 header cut in the modes', 'BATCH.TOO_SHORT', good.subarray(0, 40)],
        ['unknown mode', 'BATCH.BAD_VALUE', patched(16 + 5, 5)],
        ['as-previous on the first slot', 'BATCH.BAD_VALUE', patched(16, 3)],
        ['as-previous after a wider slot', 'BATCH.BAD_VALUE', patched(16 + 1, 3)],
        ['base + delta off the timestamp slot', 'BATCH.BAD_VALUE', patched(16 + 1, 4)],
        ['a per-packet slot said to be zero', 'BATCH.BAD_LENGTH', patched(16 + good.subarray(16, 50).indexOf(2), 0)],
      );
    }
    it.each(cases)('%s → %s', (_n, code, buf) => {
      const res = decodePacketBatch(buf);
      expect(res.ok).toBe(false);
      if (!res.ok) {
        expect(res.code).toBe(code);
        expect(res.reason.length).toBeGreaterThan(0);
      }
    });

    it('impossible values are refused (network layer, timestamp)', () => {
      for (const set of [(r: PacketRecord) => (r.l3 = 5 as L3), (r: PacketRecord) => (r.tsUs = 1.5)]) {
        const bb = new PacketBatchBuilder(2);
        const r = new PacketRecord();
        bb.add(r);
        set(r);
        bb.add(r);
        const res = decodePacketBatch(bb.build(version));
        expect(!res.ok && res.code).toBe('BATCH.BAD_VALUE');
      }
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
