import { join } from 'node:path';
import type { FlowV1 } from '@netsentry/contracts';
// Test-only: real flows to pack, from real captures. Storage code itself never imports libs/flows
// or libs/packets.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { FlowTable } from '@netsentry/flows';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { readCaptureFile } from '@netsentry/packets';
import { haveSharedPcaps, itIf, SHARED_PCAPS } from '@netsentry/testing';
import { featureBlock, featureBlockMaxBytes, featureValues, featureValuesRaw, writeFeatureBlock } from './feature-block';

async function flowsOf(file: string): Promise<FlowV1[]> {
  const out: FlowV1[] = [];
  const t = new FlowTable({ sensor: 's' }, (f) => out.push(f));
  await readCaptureFile(file, (r) => void t.add(r));
  t.flush();
  return out;
}

/** Exactly the same values, -0 read as 0. */
function same(got: Float64Array | undefined, want: ArrayLike<number>): boolean {
  if (!got || got.length !== want.length) return false;
  for (let c = 0; c < want.length; c++) if (!Object.is(got[c], want[c] + 0)) return false;
  return true;
}
function expectSame(got: Float64Array | undefined, want: ArrayLike<number>): void {
  expect(got && Array.from(got)).toEqual(Array.from(want, (x) => x + 0));
  expect(same(got, want)).toBe(true);
}

describe('packed feature blocks (flows.features)', () => {
  itIf(haveSharedPcaps, 'shared captures missing (../shared/data/pcaps)')('gives back every value of every flow of real captures exactly, in far fewer bytes than float64s', async () => {
    const sizes: Record<string, number> = {};
    for (const name of ['stopddos/pkt.TCP.synflood.spoofed.pcap', 'zeek/ftp-bruteforce.pcap', 'zeek/irc-dcc-send.pcapng', 'suricata-verify/dhcp-request-flood.pcap']) {
      const flows = await flowsOf(join(SHARED_PCAPS, name));
      expect(flows.length).toBeGreaterThan(0);
      let bytes = 0;
      const wrong: string[] = [];
      for (const f of flows) {
        const v = Object.values(f.features);
        const b = featureBlock(v);
        if (b.length > featureBlockMaxBytes(v.length) || !same(featureValues(b), v)) wrong.push(f.id);
        bytes += b.length;
      }
      expect(wrong).toEqual([]);
      sizes[name] = bytes / flows.length;
    }
    // 88 float64s were 704 bytes a flow.
    expect(sizes['stopddos/pkt.TCP.synflood.spoofed.pcap']).toBeLessThan(60);
    for (const s of Object.values(sizes)) expect(s).toBeLessThan(400);
  });

  it('stores each value in the fewest bytes that give it back: zero 0, int16 2, float32-exact 4, the rest 8', () => {
    const cases: [number[], number][] = [
      [[], 3],
      [[0, 0], 3 + 1],
      [[0, -0], 3 + 1 + 4], // -0 kept (as a float32), read as 0
      [[0, 0, 0, 0, 0, 0, 0, 0, 5], 3 + 3 + 2], // whole class bytes of zeros, then a partial one
      [[0, 0, 0, -0, 0, 0, 0, 0], 3 + 2 + 4], // a -0 among zeros is not a zero
      [[-0, 0, 0, 0], 3 + 1 + 4],
      [[1, -1, 32767, -32768], 3 + 1 + 8],
      [[32768, -32769, 0.5, Math.fround(0.1)], 3 + 1 + 16],
      [[0.1, 2 ** 24 + 1, 5e-324, 1.7976931348623157e308, -Math.PI], 3 + 2 + 40],
      [[0, 7], 3 + 1 + 2], // a last, partial byte of classes
    ];
    for (const [values, size] of cases) {
      const b = featureBlock(values);
      expect([values, b.length]).toEqual([values, size]);
      expectSame(featureValues(b), values);
    }
    // Extremes of float64 and float32, integers at the class edges, values with no short decimal form.
    const extremes = [2 ** 53 + 2, -(2 ** 31), 2 ** 31 - 1, 1e-300, 2.2250738585072014e-308, 1 / 3, Math.fround(1 / 3), Math.fround(1e-45), 3.4028234663852886e38, 123456789.123456789, -32767.5];
    expectSame(featureValues(featureBlock(extremes)), extremes);
  });

  it('round-trips thousands of seeded mixed values, at an offset inside a larger buffer, touching nothing outside its block', () => {
    let seed = 12345;
    const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const d = 1000;
    const values = Array.from({ length: d }, () => {
      const r = rnd();
      return r < 0.3 ? 0 : r < 0.5 ? Math.floor(rnd() * 65536) - 32768 : r < 0.7 ? Math.fround(rnd() * 1e6) : (rnd() - 0.5) * 1e12;
    });
    const out = new Uint8Array(featureBlockMaxBytes(d) + 64).fill(0xee);
    const p = 13; // odd: unaligned writes
    const end = writeFeatureBlock([9, 9, ...values], 2, d, out, new DataView(out.buffer), p);
    expect(out.subarray(0, p).every((x) => x === 0xee)).toBe(true);
    expect(out.subarray(end).every((x) => x === 0xee)).toBe(true);
    expectSame(featureValues(out.subarray(p, end)), values);
  });

  it('refuses what is not a whole block without reading outside it: truncated, extra bytes, other format, non-finite values', () => {
    const good = featureBlock([0, 1, 0.5, 0.1, 70000, -3]);
    expectSame(featureValues(good), [0, 1, 0.5, 0.1, 70000, -3]);
    for (let n = 0; n < good.length; n++) expect(featureValues(good.subarray(0, n))).toBeUndefined();
    expect(featureValues(Buffer.concat([good, Buffer.from([0])]))).toBeUndefined();
    expect(featureValues(Buffer.from([2, ...good.subarray(1)]))).toBeUndefined();
    expect(featureValues(null)).toBeUndefined();
    // A count larger than the block: the classes alone would not fit.
    expect(featureValues(Buffer.from([1, 0xff, 0xff, 0]))).toBeUndefined();
    // 704 bytes of plain float64s (the form before) are not a block.
    expect(featureValues(Buffer.from(new Float64Array(88).fill(1.5).buffer))).toBeUndefined();
    expect(Object.is(featureValuesRaw(featureBlock([-0]))![0], -0)).toBe(true);
    expect(Array.from(featureValuesRaw(featureBlock([0, 0, 0, -0, 0, 0, 0, 0]))!).map((v) => Object.is(v, -0))).toEqual([false, false, false, true, false, false, false, false]);
    expect(Object.is(featureValues(featureBlock([-0]))![0], 0)).toBe(true);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const b = featureBlock([1, bad]);
      expect(featureValues(b)).toBeUndefined();
      expect(Array.from(featureValuesRaw(b)!)).toEqual([1, bad]);
    }
    // Non-finite float32 bits (class 2, 0x7fc00000 NaN) are refused too.
    expect(featureValues(Buffer.from([1, 1, 0, 2, 0, 0, 0xc0, 0x7f]))).toBeUndefined();
    // Hostile bytes never throw.
    let seed = 7;
    const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24);
    let read = 0;
    for (let k = 0; k < 20000; k++) {
      const b = Buffer.from(Array.from({ length: k % 40 }, rnd));
      if (b.length) b[0] = 1;
      if (b.length > 2) b[2] = 0;
      if (featureValuesRaw(b)) read++;
    }
    expect(read).toBeGreaterThan(0); // some random blocks are well formed: the loop exercised real reads
  });
});
