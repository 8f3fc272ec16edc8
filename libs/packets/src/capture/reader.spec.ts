import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execFileSync, spawn } from 'node:child_process';
import { SHARED_PCAPS, haveSharedPcaps, itIf } from '@netsentry/testing';
import { readCaptureFile } from './reader';
import { recordFields } from '../testing/record';
import { ether, ipv4, pcapFile, pcapngSection, udp } from '../testing/capture.builder';
import type { PacketRecord } from '../packet';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'netsentry-reader-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

async function collect(path: string, opts: Parameters<typeof readCaptureFile>[2] = {}): Promise<{ recs: string[]; summary: Awaited<ReturnType<typeof readCaptureFile>> }> {
  const recs: string[] = [];
  const summary = await readCaptureFile(path, (r: PacketRecord) => recs.push(recordFields(r).join(',')), opts);
  return { recs, summary };
}

const sharedReason = 'shared captures not found at ../shared/data/pcaps';

describe('readCaptureFile', () => {
  itIf(haveSharedPcaps, sharedReason)('reads gzip-compressed pcap and pcapng transparently, identical to the plain file', async () => {
    for (const f of ['zeek/irc-dcc-send.pcapng', 'stopddos/pkt.TCP.synflood.spoofed.pcap']) {
      const plain = join(SHARED_PCAPS, f);
      const gz = join(dir, 'cap.gz');
      writeFileSync(gz, gzipSync(readFileSync(plain)));
      const a = await collect(plain);
      const b = await collect(gz);
      expect(b.summary.error).toBeUndefined();
      expect(b.summary.format).toBe(`${a.summary.format}.gz`);
      expect(b.recs.length).toBe(a.recs.length);
      expect(b.recs).toEqual(a.recs);
      expect({ ...b.summary, file: '', format: '' }).toEqual({ ...a.summary, file: '', format: '' });
    }
  });

  itIf(haveSharedPcaps, sharedReason)('chunk size does not change the result; progress reaches the file size', async () => {
    const path = join(SHARED_PCAPS, 'suricata-verify/sll2-http.pcap');
    const progress: number[] = [];
    const totals = new Set<number>();
    const small = await collect(path, { chunkSize: 64 * 1024, onProgress: (n, total) => { progress.push(n); totals.add(total); } });
    expect([...totals]).toEqual([readFileSync(path).length]);
    const big = await collect(path);
    expect(small.recs).toEqual(big.recs);
    expect(progress.length).toBeGreaterThan(10);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    expect(progress[progress.length - 1]).toBe(readFileSync(path).length);
  });

  itIf(haveSharedPcaps, sharedReason)('onFrame sees every framed packet with its raw bytes', async () => {
    const path = join(SHARED_PCAPS, 'sgr-favilli/hs-arpScan.pcap');
    let frames = 0;
    let bytes = 0;
    const s = await readCaptureFile(path, () => undefined, { onFrame: (f) => { frames++; bytes += f.capLen; expect(f.buf.length).toBeGreaterThanOrEqual(f.off + f.capLen); } });
    expect(frames).toBe(509);
    expect(s.packets).toBe(509);
    expect(bytes).toBeGreaterThan(0);
  });

  itIf(haveSharedPcaps, sharedReason)('reads from a pipe (named FIFO), plain and gzip', async () => {
    const src = join(SHARED_PCAPS, 'zeek/irc-dcc-send.pcapng');
    const plain = await collect(src);
    for (const [name, bytes] of [['plain', readFileSync(src)], ['gzip', gzipSync(readFileSync(src))]] as const) {
      const fifo = join(dir, `pipe-${name}`);
      execFileSync('mkfifo', [fifo]);
      const bin = join(dir, `pipe-${name}.bin`);
      writeFileSync(bin, bytes);
      // A writer process on the other end: a pipe cannot seek, so only sequential reads work.
      const writer = spawn('sh', ['-c', `cat "${bin}" > "${fifo}"`], { stdio: 'ignore' });
      const exited = new Promise((res) => writer.once('exit', res));
      const got = await collect(fifo);
      await exited;
      expect(got.summary.error).toBeUndefined();
      expect(got.recs).toEqual(plain.recs);
    }
  });

  it('an AbortSignal stops the read with CAPTURE.ABORTED', async () => {
    const recs = Array.from({ length: 30_000 }, (_, i) => ({ tsUs: 1e15 + i, data: ether(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, payload: udp(1, 2, Buffer.alloc(20)) })) }));
    const path = join(dir, 'many.pcap');
    writeFileSync(path, pcapFile(recs));
    const ac = new AbortController();
    let n = 0;
    const s = await readCaptureFile(path, () => { if (++n === 10) ac.abort(); }, { chunkSize: 64 * 1024, signal: ac.signal });
    expect(s.error?.code).toBe('CAPTURE.ABORTED');
    expect(s.packets).toBeLessThan(30_000);
    expect(s.packets).toBeGreaterThan(0);
  });

  it('summarises formats, link types, times, decode errors and unsupported link types', async () => {
    const good = ether(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, payload: udp(1, 2) }));
    const bad = ether(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, payload: udp(1, 2) }).subarray(0, 10));
    const path = join(dir, 'mixed.pcapng');
    writeFileSync(path, pcapngSection([{ linkType: 1 }, { linkType: 147 }], [
      { kind: 'epb', ifId: 0, ts: 3_000_000n, data: good },
      { kind: 'epb', ifId: 0, ts: 1_000_000n, data: bad },
      { kind: 'epb', ifId: 1, ts: 2_000_000n, data: good },
    ]));
    const { recs, summary } = await collect(path);
    expect(recs.length).toBe(1);
    expect(summary).toEqual({
      file: path, format: 'pcapng', linkTypes: [1, 147], packets: 3, decoded: 1, bytes: 2 * good.length + bad.length,
      firstTsUs: 1_000_000, lastTsUs: 3_000_000, decodeErrors: { truncated_ip: 1 }, unsupported: 1,
    });
  });

  it('gzip: every packet before a bad CRC, a bad length or trailing garbage is delivered, whatever the read size; members and zero padding are read', async () => {
    const plainPath = join(__dirname, '../../../../data/samples/demo.pcap');
    const plain = await collect(plainPath);
    const raw = readFileSync(plainPath);
    const gz = gzipSync(raw);
    const crc = Buffer.from(gz);
    crc[gz.length - 8] ^= 1;
    const len = Buffer.from(gz);
    len.writeUInt32LE(raw.length + 1, gz.length - 4);
    const half = raw.length >> 1;
    const cases: [string, Buffer, string | undefined][] = [
      ['bad CRC', crc, 'CRC-32'],
      ['bad length', len, 'data length'],
      ['trailing garbage', Buffer.concat([gz, Buffer.from('not gzip')]), 'trailing bytes'],
      ['two members and zero padding', Buffer.concat([gzipSync(raw.subarray(0, half)), gzipSync(raw.subarray(half)), Buffer.alloc(700)]), undefined],
    ];
    for (const [what, bytes, message] of cases) {
      const path = join(dir, 'damaged.pcap.gz');
      writeFileSync(path, bytes);
      for (const chunkSize of [64 * 1024, 4 << 20]) {
        const r = await collect(path, { chunkSize });
        expect([what, chunkSize, r.recs.length]).toEqual([what, chunkSize, plain.recs.length]);
        expect(r.recs).toEqual(plain.recs);
        if (message === undefined) expect(r.summary.error).toBeUndefined();
        else expect([what, r.summary.error?.code, r.summary.error?.offset, r.summary.error?.message]).toEqual([what, 'GZIP.CORRUPT', raw.length, expect.stringContaining(message)]);
      }
    }
    // Cut inside the compressed data: the packets of what did decompress, and the damage.
    writeFileSync(join(dir, 'cut.pcap.gz'), gz.subarray(0, gz.length >> 1));
    const cut = await collect(join(dir, 'cut.pcap.gz'));
    expect(cut.recs.length).toBeGreaterThan(plain.recs.length / 4);
    expect(cut.recs).toEqual(plain.recs.slice(0, cut.recs.length));
    expect(cut.summary.error?.message).toContain('file ends inside the compressed data');
  });

  it('a packet whose pcapng time is negative or past MAX_TS_US is counted as bad_timestamp and not delivered', async () => {
    const pkt = ether(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, payload: udp(1, 2) }));
    const path = join(dir, 'times.pcapng');
    // Interface 1 is 10 s behind the epoch (if_tsoffset -10): its packet at 1 s is before 1970.
    writeFileSync(path, pcapngSection([{ linkType: 1 }, { linkType: 1, tsoffset: -10 }], [
      { kind: 'epb', ifId: 0, ts: 1_700_000_000_000_000n, data: pkt },
      { kind: 'epb', ifId: 0, ts: 0xffffffffffffffffn, data: pkt },
      { kind: 'epb', ifId: 1, ts: 1_000_000n, data: pkt },
      { kind: 'epb', ifId: 0, ts: 100_000_000_000_000_000n, data: pkt },
      { kind: 'epb', ifId: 0, ts: 1_700_000_001_000_000n, data: pkt },
    ]));
    const { recs, summary } = await collect(path);
    expect(recs.length).toBe(2);
    expect(summary).toMatchObject({ packets: 5, decoded: 2, firstTsUs: 1_700_000_000_000_000, lastTsUs: 1_700_000_001_000_000, decodeErrors: { bad_timestamp: 3 } });
    expect(summary.error).toBeUndefined();
  });

  it('a non-capture file, an empty file and a directory are errors in the summary; a missing file rejects naming it', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a capture at all');
    const empty = join(dir, 'empty.pcap');
    writeFileSync(empty, '');
    const t = await readCaptureFile(text, () => undefined);
    expect(t.error?.code).toBe('PCAP.BAD_MAGIC');
    expect(t.format).toBe('unknown');
    expect(t.error?.message).toContain(text);
    expect((await readCaptureFile(empty, () => undefined)).error?.code).toBe('CAPTURE.EMPTY');
    const d = await readCaptureFile(dir, () => undefined);
    expect(d.error?.code).toBe('CAPTURE.READ_ERROR');
    expect(d.error?.message).toContain(dir);
    await expect(readCaptureFile(join(dir, 'missing.pcap'), () => undefined)).rejects.toThrow(/missing\.pcap: cannot open/);
  });

  it('a damaged file is read up to the damage', async () => {
    const pkt = ether(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, payload: udp(1, 2) }));
    const file = pcapFile([0, 1, 2].map((i) => ({ tsUs: i, data: pkt })));
    const path = join(dir, 'cut.pcap');
    writeFileSync(path, file.subarray(0, file.length - 3));
    const { recs, summary } = await collect(path);
    expect(recs.length).toBe(2);
    expect(summary.error).toEqual({ code: 'PCAP.TRUNCATED_RECORD', offset: 24 + 2 * (16 + pkt.length), message: expect.stringContaining(`${path}: file ends inside a packet record at byte offset ${24 + 2 * (16 + pkt.length)}`) });
  });
});
