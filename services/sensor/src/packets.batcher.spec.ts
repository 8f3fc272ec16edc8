import { join } from 'node:path';
import { PacketRecord, decodePacketBatch, readCaptureFile } from '@netsentry/packets';
import { PacketBatcher, type OutBatch } from './packets.batcher';

const DEMO = join(__dirname, '../../../data/samples/demo.pcap');

/** Batches of the first `limit` packets of the demo capture, written in `format`. */
async function batchesOf(format: 1 | 2, limit: number): Promise<OutBatch[]> {
  const out: OutBatch[] = [];
  const batcher = new PacketBatcher(4, 512, (b) => out.push(b), format);
  let n = 0;
  const ac = new AbortController();
  await readCaptureFile(DEMO, (rec) => {
    if (n++ < limit) batcher.add(rec);
    else ac.abort();
  }, { signal: ac.signal });
  batcher.flushAll();
  return out.filter((b) => b.kind === 'batch');
}

/** Every packet of the batches, as plain rows (partition, then packet order). */
function rows(batches: OutBatch[]): string[] {
  const rec = new PacketRecord();
  const out: string[] = [];
  for (const b of batches) {
    const r = decodePacketBatch(b.value!);
    if (!r.ok) throw new Error(`${r.code}: ${r.reason}`);
    for (let i = 0; i < r.batch.count; i++) {
      r.batch.read(i, rec);
      out.push(`${b.partition} ${rec.tsUs} ${rec.wireLen} ${rec.proto} ${rec.srcPort} ${rec.dstPort} ${rec.tcpFlags} ${rec.ttl}`);
    }
  }
  return out;
}

describe('PacketBatcher batch format', () => {
  it('writes format 2 by default and format 1 when asked (old aggregators), with the same packets', async () => {
    const v2 = await batchesOf(2, 5000);
    const v1 = await batchesOf(1, 5000);
    expect(v2.length).toBeGreaterThan(4);
    expect(v2.every((b) => b.value![4] === 2)).toBe(true);
    expect(v1.every((b) => b.value![4] === 1)).toBe(true);
    const a = rows(v1);
    expect(a).toHaveLength(5000);
    expect(rows(v2)).toEqual(a);
  });
});
