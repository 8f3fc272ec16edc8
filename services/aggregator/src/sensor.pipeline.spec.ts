import type { FlowV1, StatsV1 } from '@netsentry/contracts';
import { MAX_TS_US, PacketRecord } from '@netsentry/packets';
import { AggregatorConfig } from './config';
import { SensorPipeline } from './sensor.pipeline';

const T0 = 1_700_000_000_000_000;

function udp(rec: PacketRecord, tsUs: number, srcPort: number): PacketRecord {
  rec.reset();
  rec.tsUs = tsUs;
  rec.l3 = 4;
  rec.proto = 17;
  rec.wireLen = rec.capLen = 100;
  rec.src.set([0, 0, 0xffff, 0x0a000001]);
  rec.dst.set([0, 0, 0xffff, 0x0a000002]);
  rec.srcPort = srcPort;
  rec.dstPort = 53;
  return rec;
}

describe('SensorPipeline', () => {
  it('a packet whose time is negative, not a number, or not below the bound reaches neither the flow table nor the statistics', () => {
    const flows: FlowV1[] = [];
    const stats: StatsV1[] = [];
    const cfg = AggregatorConfig.parse({ brokers: ['127.0.0.1:9092'], instanceId: 't' });
    const p = new SensorPipeline('s', 0, cfg, (f) => flows.push(f), (s) => stats.push(s));
    const rec = new PacketRecord();
    const bound = T0 + 86_400e6; // what the consumer passes: min(MAX_TS_US, its clock + AGGREGATOR_MAX_FUTURE_S)
    expect(p.add(udp(rec, T0, 1000), bound)).toBe(true);
    for (const t of [9e16, bound, MAX_TS_US, -1, Number.NaN]) expect(p.add(udp(rec, t, 2000), bound)).toBe(false);
    expect(p.add(udp(rec, T0 + 1e6, 1001), bound)).toBe(true);
    expect(p.add(udp(rec, bound - 1, 1002), bound)).toBe(true);
    p.end();
    expect(flows.map((f) => f.srcPort).sort()).toEqual([1000, 1001, 1002]);
    expect(p.flows.counters.badTime).toBe(0);
    expect(p.stats.badTime).toBe(0);
    const globals = stats.filter((s) => s.entity.kind === 'global');
    expect(globals.map((s) => s.start)).toEqual([1_700_000_000, 1_700_000_001, 1_700_086_399]);
    expect(globals.reduce((n, s) => n + (s.entity.kind === 'global' ? s.entity.packets : 0), 0)).toBe(3);
  });
});
