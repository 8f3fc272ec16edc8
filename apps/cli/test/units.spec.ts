import { PacketRecord } from '@netsentry/packets';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvField, csvRow, LineSink } from '../src/output/sink';
import { tempDir } from './helpers';
import { formatDuration, formatProgress, Progress } from '../src/progress';
import { TrafficCounters } from '../src/traffic';
import { fmtTime } from '../src/output/text';

describe('progress', () => {
  it('formats packets, MB/s, percentage and ETA', () => {
    expect(formatProgress('analyze', 1234567, 50e6, 200e6, 2)).toBe('analyze: 1,234,567 packets  25.0 MB/s  25%  ETA 6s');
    expect(formatProgress('analyze', 10, 0, 0, 0)).toBe('analyze: 10 packets  0.0 MB/s');
    expect(formatDuration(3725)).toBe('1h02m');
    expect(formatDuration(75)).toBe('1m15s');
  });

  it('draws on a TTY only, and never with --quiet', () => {
    const tty = { isTTY: true, text: '', write(s: string) { this.text += s; } };
    const pipe = { isTTY: false, text: '', write(s: string) { this.text += s; } };
    new Progress('x', { stream: tty }).update(5, 1, 10);
    new Progress('x', { stream: pipe }).update(5, 1, 10);
    new Progress('x', { stream: tty, quiet: true }).update(5, 1, 10);
    expect(tty.text).toMatch(/^\rx: 5 packets .* 10%/);
    expect(tty.text.split('\r')).toHaveLength(2);
    expect(pipe.text).toBe('');
  });
});

describe('fmtTime', () => {
  it('prints UTC with milliseconds, and a time no Date can hold as such instead of throwing', () => {
    expect(fmtTime(1_700_000_000.5)).toBe('2023-11-14 22:13:20.500');
    expect(fmtTime(1.8e16)).toBe('invalid time (18000000000000000)');
    expect(fmtTime(NaN)).toBe('invalid time (NaN)');
  });
});

describe('csv', () => {
  it('quotes fields with commas, quotes and line breaks (RFC 4180)', () => {
    expect(csvRow(['a', 1.5, 'b,c', 'say "hi"', 'x\ny', null, NaN])).toBe('a,1.5,"b,c","say ""hi""","x\ny",,');
    expect(csvField(['10.0.0.1', '10.0.0.2'])).toBe('10.0.0.1 10.0.0.2');
  });
});

describe('LineSink', () => {
  it('writes every line in order: across 1 MiB blocks, one line longer than a block, and non-ASCII text', () => {
    const tmp = tempDir('netsentry-sink-');
    const path = join(tmp.dir, 'out.txt');
    const sink = LineSink.file(path);
    const lines: string[] = [];
    const add = (l: string): void => {
      lines.push(l);
      sink.line(l);
    };
    for (let i = 0; i < 40_000; i++) add(`${i},${'x'.repeat(i % 97)},10.0.0.${i % 255}`); // ~2.6 MB: several blocks
    add('é'.repeat(400_000) + '🙂'); // 800 kB of UTF-8 written as 2 bytes per unit, then a surrogate pair
    add('y'.repeat(1_500_000)); // longer than a block: written on its own
    add('ünïcödé, "quoted"\tend');
    add('');
    sink.close();
    expect(sink.lines).toBe(lines.length);
    expect(readFileSync(path, 'utf8')).toBe(lines.join('\n') + '\n');
    tmp.cleanup();
  });
});

describe('traffic counters', () => {
  const rec = new PacketRecord();
  function pkt(tsS: number, proto: number, len: number): PacketRecord {
    rec.reset();
    rec.tsUs = Math.round(tsS * 1e6);
    rec.l3 = 4;
    rec.proto = proto;
    rec.wireLen = len;
    return rec;
  }

  it('counts by protocol and length bin, per second', () => {
    const t = new TrafficCounters();
    t.add(pkt(100.1, 6, 60));
    t.add(pkt(100.9, 17, 1500));
    t.add(pkt(102.5, 1, 98));
    const s = t.series();
    expect(s.start).toBe(100);
    expect(s.bucketSeconds).toBe(1);
    expect(s.packets.tcp).toEqual([1, 0, 0]);
    expect(s.packets.udp).toEqual([1, 0, 0]);
    expect(s.packets.icmp).toEqual([0, 0, 1]);
    expect(s.bytes.udp[0]).toBe(1500);
    expect(t.lengthDistribution().map((b) => b.packets)).toEqual([1, 1, 0, 0, 0, 1, 0, 0]);
  });

  it('keeps memory bounded on long captures: buckets widen, totals are kept', () => {
    const t = new TrafficCounters();
    for (let i = 0; i < 5000; i++) t.add(pkt(1000 + i, 6, 100)); // 5000 s, one packet a second
    const s = t.series();
    expect(s.bucketSeconds).toBe(8);
    expect(s.packets.tcp.length).toBeLessThanOrEqual(1024);
    expect(s.packets.tcp.reduce((a, b) => a + b, 0)).toBe(5000);
  });
});
