import { decodeFrame } from './frame';
import { DECODE_ERROR_COUNT } from './errors';
import { PacketRecord } from '../packet';
import { recordFields } from '../testing/record';
import { arp, ether, icmp, ipv4, ipv6, prng, tcp, udp } from '../testing/capture.builder';

/*
 * Seeded decoder fuzz. Out-of-bounds reads are caught differentially: the same frame bytes are
 * decoded inside two buffers with different bytes around them; any read outside the frame
 * would make the two records differ (or throw).
 */
const SEED = 0x5eed_0003;
const CASES = 20_000;
const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147];

function seedFrames(): Buffer[] {
  const t = tcp({ sport: 1, dport: 2, flags: 0x12, options: Buffer.alloc(12, 1), payload: Buffer.alloc(20) });
  const v4 = ipv4({ src: '1.2.3.4', dst: '5.6.7.8', proto: 6, options: Buffer.alloc(4, 1), payload: t });
  const v6 = ipv6({ src: '2001:db8::1', dst: '::2', nh: 17, ext: [{ type: 0, body: Buffer.alloc(6) }, { type: 44, body: Buffer.alloc(6) }], payload: udp(5, 6, Buffer.alloc(9)) });
  return [
    ether(0x0800, v4), ether(0x86dd, v6, [{ vid: 1 }, { vid: 2 }]), ether(0x0806, arp(1, '1.1.1.1', '2.2.2.2')),
    ether(0x8864, Buffer.concat([Buffer.from([0x11, 0, 0, 1, 0, 0, 0, 0x21]), v4])), ether(0x8847, Buffer.concat([Buffer.from([0, 0, 1, 1]), v6])),
    v4, v6, ipv4({ src: '9.9.9.9', dst: '8.8.8.8', proto: 1, payload: icmp(8, 0) }), ipv6({ src: '::1', dst: '::3', nh: 58, payload: icmp(1, 4) }),
  ];
}

describe('decoder fuzz (seeded)', () => {
  it(`${CASES} mutated frames on every link type: no throw, valid code, no read outside the frame`, () => {
    const rand = prng(SEED);
    const int = (n: number): number => Math.floor(rand() * n);
    const seeds = seedFrames();
    const a = new PacketRecord();
    const b = new PacketRecord();
    const c = new PacketRecord();
    const bufA = Buffer.alloc(4096, 0x00);
    const bufB = Buffer.alloc(4096, 0xff);
    const codes = new Set<number>();
    const failures: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const frame = Buffer.from(seeds[int(seeds.length)]);
      const link = LINK_TYPES[int(LINK_TYPES.length)];
      for (let m = int(6); m > 0; m--) {
        const at = int(frame.length);
        switch (int(3)) {
          case 0: frame[at] = int(256); break;
          case 1: frame[at] ^= 1 << int(8); break;
          default: frame[at] = [0, 0xff, 0x80, 0x7f, 5, 6, 0x45, 0x60, 44, 0][int(10)];
        }
      }
      const len = rand() < 0.5 ? frame.length : int(frame.length + 1);
      const off = 8 + int(64);
      bufA.fill(0x00);
      bufB.fill(0xff);
      frame.copy(bufA, off, 0, len);
      frame.copy(bufB, off, 0, len);
      const ca = decodeFrame(link, bufA, off, len, frame.length, i, a);
      const cb = decodeFrame(link, bufB, off, len, frame.length, i, b);
      // And once in a buffer that ends exactly where the frame ends.
      const cc = decodeFrame(link, Buffer.from(frame.subarray(0, len)), 0, len, frame.length, i, c);
      const fa = JSON.stringify(recordFields(a));
      const bad = ca !== cb || ca !== cc || !(Number.isInteger(ca) && ca >= 0 && ca < DECODE_ERROR_COUNT) ||
        fa !== JSON.stringify(recordFields(b)) || fa !== JSON.stringify(recordFields(c));
      if (bad && failures.length < 5) failures.push(`case ${i}: link ${link} len ${len} codes ${ca}/${cb} frame ${frame.toString('hex', 0, len)}`);
      codes.add(ca);
    }
    expect(failures).toEqual([]);
    // The generator reaches success and a spread of error reasons (so the test is not vacuous).
    expect(codes.has(0)).toBe(true);
    expect(codes.size).toBeGreaterThanOrEqual(8);
  });
});
