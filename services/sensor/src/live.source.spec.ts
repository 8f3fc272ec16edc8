import { endianness } from 'node:os';
import { join } from 'node:path';
import { decodePacketBatch, ipToString, PacketRecord, readCaptureFile } from '@netsentry/packets';
import { PacketBatcher, type OutBatch } from './packets.batcher';
import { RingDecoder } from './live.source';

const DEMO = join(__dirname, '../../../data/samples/demo.pcap');
const N = 3000;

interface Frame {
  tsUs: number;
  wireLen: number;
  bytes: Buffer;
}

/** Writes one record as pcap_ring.c does (native endianness, 4-byte aligned); returns the next offset. */
function put(buf: Buffer, off: number, f: Frame, capLen: number): number {
  const w = endianness() === 'LE' ? buf.writeUInt32LE.bind(buf) : buf.writeUInt32BE.bind(buf);
  w(Math.floor(f.tsUs / 1e6), off);
  w(f.tsUs % 1e6, off + 4);
  w(capLen, off + 8);
  w(f.wireLen, off + 12);
  f.bytes.copy(buf, off + 16, 0, capLen);
  return off + 16 + ((capLen + 3) & ~3);
}

function key(r: PacketRecord): string {
  return `${r.tsUs}|${r.proto}|${ipToString(r.src)}|${r.srcPort}|${ipToString(r.dst)}|${r.dstPort}|${r.wireLen}|${r.payloadLen}|${r.tcpFlags}|${r.seq}`;
}

/** Decodes what the batcher emitted, in order. */
function published(batches: OutBatch[]): string[] {
  const out: string[] = [];
  const rec = new PacketRecord();
  for (const b of batches) {
    if (b.kind !== 'batch' || !b.value) continue;
    const d = decodePacketBatch(b.value);
    if (!d.ok) throw new Error(d.reason);
    for (let i = 0; i < d.batch.count; i++) {
      d.batch.read(i, rec);
      out.push(key(rec));
    }
  }
  return out;
}

describe('RingDecoder (the pcap_ring record layout)', () => {
  const frames: Frame[] = [];
  const want: string[] = [];

  beforeAll(async () => {
    let n = 0;
    await readCaptureFile(
      DEMO,
      (r) => {
        if (want.length < N) want.push(key(r));
      },
      {
        onFrame: (f) => {
          if (n++ < N) frames.push({ tsUs: f.tsUs, wireLen: f.wireLen, bytes: Buffer.from(f.buf.subarray(f.off, f.off + f.capLen)) });
        },
      },
    );
    expect(frames.length).toBe(N);
    expect(want.length).toBe(N); // every frame of the demo capture decodes
  });

  function run(dec: RingDecoder, count: number, bytes: number): { n: number; keys: string[] } {
    const batches: OutBatch[] = [];
    const batcher = new PacketBatcher(1, 65536, (b) => batches.push(b));
    const n = dec.decode(count, bytes, batcher, null);
    batcher.flushAll(0);
    return { n, keys: published(batches) };
  }

  it('gives the same packets as the capture-file reader: timestamps, wire lengths, headers', () => {
    const dec = new RingDecoder(4 << 20);
    dec.linkType = 1;
    let off = 0;
    for (const f of frames) off = put(dec.buf, off, f, f.bytes.length);
    const r = run(dec, N, off);
    expect(r.n).toBe(N);
    expect(r.keys).toEqual(want);
    expect(dec.decodeCounters.damaged).toBe(0);
  });

  it('keeps wire and header-declared lengths of packets cut to a 96-byte snaplen', () => {
    const dec = new RingDecoder(4 << 20);
    dec.linkType = 1;
    let off = 0;
    for (const f of frames) off = put(dec.buf, off, f, Math.min(96, f.bytes.length));
    const r = run(dec, N, off);
    expect(r.n).toBe(N);
    expect(r.keys).toEqual(want);
  });

  it('stops at the end of the data on a damaged ring, and never reads past it', () => {
    const dec = new RingDecoder(1 << 20);
    dec.linkType = 1;
    let off = 0;
    for (const f of frames.slice(0, 10)) off = put(dec.buf, off, f, f.bytes.length);
    // More records announced than written: the loop ends at `bytes`.
    expect(run(dec, 50, off).n).toBe(10);
    // A record whose length runs past `bytes`: the records before it are read, not it.
    const last = off;
    off = put(dec.buf, off, frames[10], frames[10].bytes.length);
    dec.buf.writeUInt32LE(1 << 30, last + 8);
    const r = run(dec, 11, off);
    expect(r.n).toBe(10);
    expect(r.keys).toEqual(want.slice(0, 10));
    // `bytes` beyond the Buffer is clamped to it.
    expect(() => run(dec, 1 << 20, 1 << 30)).not.toThrow();
  });

  it('counts frames that do not decode and publishes the rest', () => {
    const dec = new RingDecoder(1 << 20);
    dec.linkType = 1;
    let off = put(dec.buf, 0, frames[0], frames[0].bytes.length);
    off = put(dec.buf, off, { tsUs: frames[0].tsUs, wireLen: 10, bytes: Buffer.alloc(10, 0xff) }, 10); // shorter than an Ethernet header
    off = put(dec.buf, off, frames[1], frames[1].bytes.length);
    const r = run(dec, 3, off);
    expect(r.n).toBe(3);
    expect(r.keys).toEqual(want.slice(0, 2));
    expect(dec.decodeCounters.damaged).toBe(1);
  });
});
