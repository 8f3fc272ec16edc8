import { CaptureFramer } from './framer';
import type { RawFrame } from './raw-frame';
import { ether, ipv4, pcapFile, pcapngSection, udp, type PcapngBlockSpec } from '../testing/capture.builder';

interface Seen { linkType: number; ifIndex: number; tsUs: number; capLen: number; wireLen: number; hex: string }

function frameAll(chunks: Buffer[]): { seen: Seen[]; framer: CaptureFramer } {
  const seen: Seen[] = [];
  const framer = new CaptureFramer('mem.cap', (f: RawFrame) => {
    seen.push({ linkType: f.linkType, ifIndex: f.ifIndex, tsUs: f.tsUs, capLen: f.capLen, wireLen: f.wireLen, hex: f.buf.toString('hex', f.off, f.off + f.capLen) });
  });
  for (const c of chunks) framer.push(c);
  framer.end();
  return { seen, framer };
}

const pkt = (n: number): Buffer => ether(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, payload: udp(1000 + n, 53, Buffer.alloc(n)) }));
const T0 = 1_600_000_000_000_000;

describe('pcap framing', () => {
  const records = [0, 1, 7, 33].map((n, i) => ({ tsUs: T0 + i * 1_000_001, data: pkt(n), wireLen: pkt(n).length + i }));
  it.each([
    ['little-endian µs', { le: true }],
    ['big-endian µs', { le: false }],
    ['little-endian ns', { le: true, nanos: true }],
    ['big-endian ns', { le: false, nanos: true }],
  ])('%s: every record with its time and lengths', (_n, opts) => {
    const { seen, framer } = frameAll([pcapFile(records, opts)]);
    expect(framer.error).toBeNull();
    expect(framer.format).toBe('pcap');
    expect(seen.map((s) => [s.tsUs, s.capLen, s.wireLen, s.linkType])).toEqual(records.map((r) => [r.tsUs, r.data.length, r.wireLen, 1]));
    expect(seen.map((s) => s.hex)).toEqual(records.map((r) => r.data.toString('hex')));
  });

  it('link type comes from the low 16 bits (FCS bits ignored)', () => {
    const f = pcapFile(records.slice(0, 1), { linkType: 0x10000000 | 113 });
    expect(frameAll([f]).seen[0].linkType).toBe(113);
  });
});

describe('pcapng framing', () => {
  const d = (n: number): Buffer => pkt(n);
  const blocks: PcapngBlockSpec[] = [
    { kind: 'epb', ifId: 0, ts: BigInt(T0), data: d(3), options: true },
    { kind: 'raw', type: 0x00000bad, body: Buffer.alloc(20, 7) },
    { kind: 'epb', ifId: 1, ts: BigInt(T0) * 1000n + 999n, data: d(5), wireLen: 999 },
    { kind: 'raw', type: 5, body: Buffer.alloc(16) },
    { kind: 'spb', data: d(1) },
    { kind: 'opb', ifId: 2, ts: BigInt(T0 / 1000), data: d(2) },
    { kind: 'epb', ifId: 3, ts: BigInt(Math.floor(T0 / 1e6)) * 1024n + 512n, data: d(4) },
  ];
  const ifs = [
    { linkType: 1, snaplen: 65535 },
    { linkType: 1, tsresol: 9 },
    { linkType: 113, tsresol: 3 },
    { linkType: 1, tsresol: 0x80 | 10, tsoffset: 10 },
  ];
  const expectTs = [T0, T0, T0, T0, T0 + 10_000_000 + 500_000];

  it.each([['little-endian', true], ['big-endian', false]])('%s: EPB/SPB/OPB on four interfaces with if_tsresol and if_tsoffset; unknown blocks skipped', (_n, le) => {
    const { seen, framer } = frameAll([pcapngSection(ifs, blocks, { le })]);
    expect(framer.error).toBeNull();
    expect(framer.format).toBe('pcapng');
    expect(seen.map((s) => s.ifIndex)).toEqual([0, 1, 0, 2, 3]);
    expect(seen.map((s) => s.linkType)).toEqual([1, 1, 1, 113, 1]);
    expect(seen.map((s) => s.tsUs)).toEqual(expectTs);
    expect(seen[1].wireLen).toBe(999);
    expect(seen.map((s) => s.hex)).toEqual([d(3), d(5), d(1), d(2), d(4)].map((b) => b.toString('hex')));
    expect([...framer.linkTypes].sort()).toEqual([1, 113]);
  });

  it('several sections with different byte orders: interface ids restart per section', () => {
    const a = pcapngSection([{ linkType: 1 }], [{ kind: 'epb', ifId: 0, ts: 1n, data: d(1) }], { le: true });
    const b = pcapngSection([{ linkType: 101 }, { linkType: 1, tsresol: 9 }], [{ kind: 'epb', ifId: 1, ts: 5000n, data: d(2) }, { kind: 'epb', ifId: 0, ts: 2n, data: d(3).subarray(14) }], { le: false });
    const { seen, framer } = frameAll([Buffer.concat([a, b])]);
    expect(framer.error).toBeNull();
    expect(seen.map((s) => [s.ifIndex, s.linkType, s.tsUs])).toEqual([[0, 1, 1], [1, 1, 5], [0, 101, 2]]);
  });

  it('SPB is cut to the interface snaplen', () => {
    const { seen } = frameAll([pcapngSection([{ linkType: 1, snaplen: 20 }], [{ kind: 'spb', data: d(10) }])]);
    expect([seen[0].capLen, seen[0].wireLen]).toEqual([20, d(10).length]);
  });

  it('nanosecond timestamps near 2^64/1000 stay exact to the microsecond', () => {
    const ts = 1_999_999_999_123_456_789n;
    const { seen } = frameAll([pcapngSection([{ linkType: 1, tsresol: 9 }], [{ kind: 'epb', ifId: 0, ts, data: d(1) }])]);
    expect(seen[0].tsUs).toBe(Number(ts / 1000n));
  });
});

describe('framer: a buffer split at every position gives the same frames', () => {
  const files: [string, Buffer][] = [
    ['pcap LE', pcapFile([1, 2, 3].map((n) => ({ tsUs: T0 + n, data: pkt(n * 5) })))],
    ['pcap BE ns', pcapFile([1, 2].map((n) => ({ tsUs: T0 + n, data: pkt(n) })), { le: false, nanos: true })],
    ['pcapng two sections', Buffer.concat([
      pcapngSection([{ linkType: 1 }, { linkType: 1, tsresol: 9 }], [{ kind: 'epb', ifId: 1, ts: 7000n, data: pkt(3) }, { kind: 'raw', type: 99, body: Buffer.alloc(8) }, { kind: 'spb', data: pkt(2) }]),
      pcapngSection([{ linkType: 1 }], [{ kind: 'epb', ifId: 0, ts: 9n, data: pkt(4) }], { le: false }),
    ])],
  ];
  it.each(files)('%s: two chunks at every split point, and byte by byte', (_n, file) => {
    const whole = frameAll([file]).seen;
    expect(whole.length).toBeGreaterThan(1);
    for (let i = 0; i <= file.length; i++) {
      const { seen, framer } = frameAll([file.subarray(0, i), file.subarray(i)]);
      expect(framer.error).toBeNull();
      expect(seen).toEqual(whole);
    }
    const bytes: Buffer[] = [];
    for (let i = 0; i < file.length; i++) bytes.push(file.subarray(i, i + 1));
    expect(frameAll(bytes).seen).toEqual(whole);
  });

  it('three chunks at every pair of split points (pcapng)', () => {
    const file = files[2][1];
    const whole = frameAll([file]).seen;
    for (let i = 0; i <= file.length; i += 3) {
      for (let j = i; j <= file.length; j += 5) {
        expect(frameAll([file.subarray(0, i), file.subarray(i, j), file.subarray(j)]).seen).toEqual(whole);
      }
    }
  });

  it('the caller may overwrite a pushed chunk: partial records are copied', () => {
    const file = files[0][1];
    const whole = frameAll([file]).seen;
    const seen: string[] = [];
    const framer = new CaptureFramer('mem', (f) => seen.push(f.buf.toString('hex', f.off, f.off + f.capLen)));
    const scratch = Buffer.alloc(7);
    for (let i = 0; i < file.length; i += 7) {
      const n = file.copy(scratch, 0, i, Math.min(i + 7, file.length));
      framer.push(scratch.subarray(0, n));
      scratch.fill(0xee);
    }
    expect(framer.end()).toBeNull();
    expect(seen).toEqual(whole.map((w) => w.hex));
  });
});

describe('framer: damage is an error value naming the file and offset', () => {
  const good = pcapFile([1, 2].map((n) => ({ tsUs: T0, data: pkt(n) })));
  const rec2 = 24 + 16 + pkt(1).length;
  it.each([
    ['empty', Buffer.alloc(0), 'CAPTURE.EMPTY', 0, 0],
    ['three bytes', Buffer.from([0xd4, 0xc3, 0xb2]), 'PCAP.BAD_MAGIC', 0, 0],
    ['text file', Buffer.from('hello world, not a capture\n'), 'PCAP.BAD_MAGIC', 0, 0],
    ['cut global header', good.subarray(0, 20), 'PCAP.TRUNCATED_HEADER', 0, 0],
    ['cut record header', good.subarray(0, rec2 + 5), 'PCAP.TRUNCATED_RECORD', rec2, 1],
    ['cut record data', good.subarray(0, good.length - 1), 'PCAP.TRUNCATED_RECORD', rec2, 1],
    ['huge record length', Buffer.concat([good.subarray(0, rec2), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0])]), 'PCAP.BAD_RECORD_LENGTH', rec2, 1],
  ])('%s → %s', (_n, file, code, offset, packets) => {
    const { seen, framer } = frameAll([file]);
    expect(framer.error?.code).toBe(code);
    expect(framer.error?.offset).toBe(offset);
    expect(framer.error?.message).toContain('mem.cap');
    expect(framer.error?.message).toContain(`byte offset ${offset}`);
    expect(seen.length).toBe(packets);
  });

  const ng = pcapngSection([{ linkType: 1 }], [{ kind: 'epb', ifId: 0, ts: 1n, data: pkt(1) }, { kind: 'epb', ifId: 0, ts: 2n, data: pkt(2) }]);
  const shbLen = ng.readUInt32LE(4);
  const idbLen = ng.readUInt32LE(shbLen + 4);
  const epb1 = shbLen + idbLen;
  const epb2 = epb1 + ng.readUInt32LE(epb1 + 4);
  const patch = (at: number, v: number): Buffer => { const b = Buffer.from(ng); b.writeUInt32LE(v, at); return b; };
  it.each([
    ['block length not a multiple of 4', patch(epb2 + 4, 61), 'PCAPNG.BAD_BLOCK_LENGTH', epb2, 1],
    ['block length below 12', patch(epb2 + 4, 8), 'PCAPNG.BAD_BLOCK_LENGTH', epb2, 1],
    ['block length 4 GiB', patch(epb2 + 4, 0xfffffffc), 'PCAPNG.BAD_BLOCK_LENGTH', epb2, 1],
    ['trailer differs', patch(ng.length - 4, 64), 'PCAPNG.BAD_BLOCK_LENGTH', epb2, 1],
    ['captured length past block', patch(epb2 + 20, 5000), 'PCAPNG.BAD_PACKET_LENGTH', epb2, 1],
    ['undeclared interface', patch(epb2 + 8, 3), 'PCAPNG.UNKNOWN_INTERFACE', epb2, 1],
    ['bad byte-order magic', patch(8, 0x11223344), 'PCAPNG.BAD_BYTE_ORDER', 0, 0],
    ['cut block', ng.subarray(0, ng.length - 2), 'PCAPNG.TRUNCATED_BLOCK', epb2, 1],
  ])('pcapng %s → %s', (_n, file, code, offset, packets) => {
    const { seen, framer } = frameAll([file]);
    expect(framer.error?.code).toBe(code);
    expect(framer.error?.offset).toBe(offset);
    expect(framer.error?.message).toMatch(new RegExp(`^mem\\.cap: .*byte offset ${offset}\\b`));
    expect(seen.length).toBe(packets);
  });
});
