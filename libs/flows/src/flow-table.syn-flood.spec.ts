/**
 * Memory bound under a flood of one-packet flows: a synthetic SYN flood with 1 048 576
 * distinct (source address, source port) pairs, generated in a loop into one reusable
 * PacketRecord, and the real spoofed SYN flood capture with a small table.
 */
import { join } from 'node:path';
import { PacketRecord, readCaptureFile } from '@netsentry/packets';
import { haveSharedPcaps, itIf, SHARED_PCAPS } from '@netsentry/testing';
import { FlowTable } from './flow-table';

describe('FlowTable under a SYN flood', () => {
  it('1 048 576 distinct source ports stay within maxFlows, every flow exported once', () => {
    const maxFlows = 65536;
    let exported = 0, evicted = 0, packets = 0;
    const table = new FlowTable({ sensor: 'flood', maxFlows }, (f) => {
      exported++;
      packets += f.fwdPackets + f.bwdPackets;
      if (f.endReason === 'evicted') evicted++;
    });
    const rec = new PacketRecord();
    rec.l3 = 4 as PacketRecord['l3']; rec.proto = 6; rec.tcpFlags = 0x02; rec.wireLen = 60; rec.l4HdrLen = 20; rec.ttl = 64;
    rec.src[2] = 0xffff; rec.dst[2] = 0xffff; rec.dst[3] = 0x0a0a0a0a; rec.dstPort = 80;
    const N = 1 << 20;
    let memAtFull = 0, created = 0;
    for (let i = 0; i < N; i++) {
      // A bijection of 0..2^20-1 (odd multiplier mod 2^20): distinct, spread-out (source, port) pairs.
      const x = Math.imul(i, 0x9e3b5) & (N - 1);
      rec.tsUs = 1_700_000_000_000_000 + i * 10;
      rec.src[3] = 0xc6120000 | (x >>> 16);
      rec.srcPort = x & 0xffff;
      if (table.add(rec)) created++;
      if (i === maxFlows) memAtFull = table.memoryBytes;
      if ((i & 0xffff) === 0 && table.size > maxFlows) throw new Error(`table grew to ${table.size}`);
    }
    expect(created).toBe(N);
    expect(table.size).toBe(maxFlows);
    expect(table.memoryBytes).toBe(memAtFull); // no growth once full
    expect(table.memoryBytes).toBeLessThan(64 * 1024 * 1024);
    table.flush();
    expect(table.counters.peakFlows).toBe(maxFlows);
    expect(evicted).toBe(N - maxFlows);
    expect(table.counters.evicted).toBe(N - maxFlows);
    expect(exported).toBe(N);
    expect(packets).toBe(N);
    expect(table.size).toBe(0);
  });

  itIf(haveSharedPcaps, 'shared captures missing')('the real spoofed SYN flood capture with a 1000-flow table', async () => {
    const maxFlows = 1000;
    let packets = 0, maxSize = 0;
    const table = new FlowTable({ sensor: 'flood', maxFlows }, (f) => { packets += f.fwdPackets + f.bwdPackets; });
    const summary = await readCaptureFile(join(SHARED_PCAPS, 'stopddos/pkt.TCP.synflood.spoofed.pcap'), (rec) => {
      table.add(rec);
      if (table.size > maxSize) maxSize = table.size;
    });
    table.flush();
    expect(summary.decoded).toBe(37841);
    expect(maxSize).toBe(maxFlows);
    expect(packets).toBe(summary.decoded);
    const c = table.counters;
    expect(c.evicted).toBeGreaterThan(30000);
    expect(c.flowsExported).toBe(c.evicted + c.idle + c.active + c.fin + c.rst + c.endOfInput);
    expect(c.endOfInput + c.fin + c.rst).toBeLessThanOrEqual(maxFlows);
  });
});
