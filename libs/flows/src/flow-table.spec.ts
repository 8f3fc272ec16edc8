import { PacketRecord } from '@netsentry/packets';
import { FlowV1 } from '@netsentry/contracts';
import { FlowTable, type FlowTableOptions } from './flow-table';
import { fill, type PacketSpec } from './testing/packet-builder';

const C = '10.0.0.1', S = '10.0.0.2';

function run(pkts: PacketSpec[], opts: Partial<FlowTableOptions> = {}, ticks: number[] = []): { flows: FlowV1[]; table: FlowTable; created: boolean[] } {
  const flows: FlowV1[] = [];
  const table = new FlowTable({ sensor: 'unit', ...opts }, (f) => flows.push(f));
  const rec = new PacketRecord();
  const created: boolean[] = [];
  for (const p of pkts) created.push(table.add(fill(rec, p)));
  for (const t of ticks) table.advance(Math.round(t * 1e6));
  table.flush();
  for (const f of flows) expect(FlowV1.safeParse(f).success).toBe(true);
  return { flows, table, created };
}

const handshake = (t0: number, sp = 40000, dp = 80): PacketSpec[] => [
  { t: t0, src: C, dst: S, sp, dp, flags: 'S', window: 64240, ttl: 64 },
  { t: t0 + 0.001, src: S, dst: C, sp: dp, dp: sp, flags: 'SA', window: 65160, ttl: 63 },
  { t: t0 + 0.002, src: C, dst: S, sp, dp, flags: 'A' },
];

describe('FlowTable: keys and direction', () => {
  it('puts both directions of a conversation in one flow, initiator first', () => {
    const { flows, created } = run([...handshake(100), { t: 100.01, src: S, dst: C, sp: 80, dp: 40000, flags: 'PA', pay: 100 }]);
    expect(created).toEqual([true, false, false, false]);
    expect(flows).toHaveLength(1);
    const f = flows[0];
    expect([f.srcIp, f.srcPort, f.dstIp, f.dstPort]).toEqual([C, 40000, S, 80]);
    expect([f.fwdPackets, f.bwdPackets]).toEqual([2, 2]);
    expect(f.service).toBe('http');
    expect(f.state).toBe('established');
    expect(f.features['FWD Init Win Bytes']).toBe(64240);
    expect(f.features['Bwd Init Win Bytes']).toBe(65160);
    expect(f.features['Fwd Init TTL']).toBe(64);
    expect(f.features['Bwd Init TTL']).toBe(63);
  });

  it('takes the receiver of a SYN-ACK seen first as the initiator', () => {
    const { flows } = run([{ t: 1, src: S, dst: C, sp: 80, dp: 40000, flags: 'SA' }]);
    expect([flows[0].srcIp, flows[0].srcPort, flows[0].dstIp, flows[0].dstPort]).toEqual([C, 40000, S, 80]);
    expect([flows[0].fwdPackets, flows[0].bwdPackets]).toEqual([0, 1]);
  });

  it('turns the flow around when the first SYN comes from the side seen second', () => {
    const { flows } = run([
      { t: 1, src: S, dst: C, sp: 80, dp: 40000, flags: 'A', pay: 10 },
      { t: 2, src: C, dst: S, sp: 40000, dp: 80, flags: 'S' },
    ]);
    expect(flows).toHaveLength(1);
    expect([flows[0].srcIp, flows[0].fwdPackets, flows[0].bwdPackets]).toEqual([C, 1, 1]);
    expect(flows[0].features['Total Length of Bwd Packet']).toBe(10);
  });

  it('keeps VLANs apart, and IPv6 addresses in canonical text', () => {
    const { flows } = run([
      { t: 1, src: C, dst: S, sp: 1, dp: 53, proto: 17, vlan: 10 },
      { t: 1, src: C, dst: S, sp: 1, dp: 53, proto: 17, vlan: 10, vlanInner: 20 },
      { t: 1, src: C, dst: S, sp: 1, dp: 53, proto: 17 },
      { t: 1, src: '2001:db8:0:0:0:0:0:1', dst: 'fe80::1', sp: 1, dp: 53, proto: 17 },
    ]);
    expect(flows.map((f) => [f.vlan, f.vlanInner])).toEqual([[10, 0], [10, 20], [0, 0], [0, 0]]);
    expect(flows[3].srcIp).toBe('2001:db8::1');
    expect(flows.every((f) => f.service === 'dns')).toBe(true);
  });

  it('ignores packets with an unusable time and clamps damaged lengths', () => {
    const flows: FlowV1[] = [];
    const t = new FlowTable({ sensor: 'unit' }, (f) => flows.push(f));
    const rec = new PacketRecord();
    for (const bad of [NaN, -1, Infinity]) {
      fill(rec, { t: 1, src: C, dst: S, sp: 1, dp: 2, proto: 17 });
      rec.tsUs = bad;
      expect(t.add(rec)).toBe(false);
    }
    fill(rec, { t: 1, src: C, dst: S, sp: 1, dp: 2, proto: 17 });
    rec.payloadLen = -5; rec.l4HdrLen = -8;
    expect(t.add(rec)).toBe(true);
    t.flush();
    expect(t.counters.badTime).toBe(3);
    expect(flows).toHaveLength(1);
    expect(FlowV1.safeParse(flows[0]).success).toBe(true);
    expect([flows[0].features['Total Length of Fwd Packet'], flows[0].features['Fwd Header Length']]).toEqual([0, 0]);
  });

  it('ignores non-IP packets and counts them', () => {
    const flows: FlowV1[] = [];
    const t = new FlowTable({ sensor: 'unit' }, (f) => flows.push(f));
    const rec = new PacketRecord();
    rec.l3 = 0x0806 as PacketRecord['l3'];
    expect(t.add(rec)).toBe(false);
    t.flush();
    expect(flows).toHaveLength(0);
    expect(t.counters.nonIp).toBe(1);
  });

  it('attributes non-first fragments to the fragment bucket of their address pair', () => {
    const { flows, table } = run([
      { t: 1, src: C, dst: S, sp: 53, dp: 5000, proto: 17, pay: 1472, fragment: 'first' },
      { t: 1.001, src: C, dst: S, proto: 17, pay: 1480, fragment: 'rest' },
      { t: 1.002, src: C, dst: S, proto: 17, pay: 200, fragment: 'rest' },
    ]);
    expect(flows).toHaveLength(2);
    const [udp, bucket] = flows;
    expect([udp.srcPort, udp.dstPort, udp.fwdPackets, udp.features['Fragment Bucket'], udp.features['Fwd Fragments']]).toEqual([53, 5000, 1, 0, 1]);
    expect([bucket.srcPort, bucket.dstPort, bucket.fwdPackets, bucket.features['Fragment Bucket']]).toEqual([0, 0, 2, 1]);
    expect(table.counters.fragments).toBe(2);
  });
});

describe('FlowTable: TCP state', () => {
  const cases: [string, PacketSpec[], FlowV1['state'], FlowV1['endReason']][] = [
    ['established', [...handshake(1), { t: 1.1, src: C, dst: S, sp: 40000, dp: 80, flags: 'FA' }, { t: 1.2, src: S, dst: C, sp: 80, dp: 40000, flags: 'FA' }], 'established', 'fin'],
    ['rejected', [{ t: 1, src: C, dst: S, sp: 40000, dp: 81, flags: 'S' }, { t: 1.001, src: S, dst: C, sp: 81, dp: 40000, flags: 'RA' }], 'rejected', 'rst'],
    ['half_open', [{ t: 1, src: C, dst: S, sp: 40000, dp: 80, flags: 'S' }, { t: 2, src: C, dst: S, sp: 40000, dp: 80, flags: 'S' }], 'half_open', 'end_of_input'],
    ['reset', [...handshake(1), { t: 1.1, src: S, dst: C, sp: 80, dp: 40000, flags: 'R' }], 'reset', 'rst'],
    ['ongoing', [{ t: 1, src: C, dst: S, sp: 40000, dp: 80, flags: 'A', pay: 5 }, { t: 1.1, src: S, dst: C, sp: 80, dp: 40000, flags: 'A' }], 'ongoing', 'end_of_input'],
  ];
  it.each(cases)('%s', (_name, pkts, state, reason) => {
    const { flows } = run(pkts);
    expect(flows).toHaveLength(1);
    expect(flows[0].state).toBe(state);
    expect(flows[0].endReason).toBe(reason);
  });

  it('reports one_way and two_way for other protocols', () => {
    const { flows } = run([
      { t: 1, src: C, dst: S, proto: 1 },
      { t: 1, src: C, dst: '10.0.0.3', proto: 1 },
      { t: 1.1, src: S, dst: C, proto: 1 },
    ]);
    // flush() exports least recently seen first
    expect(flows.map((f) => [f.dstIp, f.state])).toEqual([['10.0.0.3', 'one_way'], [S, 'two_way']]);
    expect(flows[1].service).toBe('icmp');
  });
});

describe('FlowTable: timeouts in packet time', () => {
  it('idle timeout splits a conversation and advance() exports without a new packet', () => {
    const pkts: PacketSpec[] = [
      { t: 0, src: C, dst: S, sp: 1, dp: 53, proto: 17 },
      { t: 10, src: C, dst: S, sp: 1, dp: 53, proto: 17 },
      { t: 200, src: C, dst: S, sp: 1, dp: 53, proto: 17 },
    ];
    const flows: FlowV1[] = [];
    const t = new FlowTable({ sensor: 'unit', idleTimeoutS: 120 }, (f) => flows.push(f));
    const rec = new PacketRecord();
    for (const p of pkts) t.add(fill(rec, p));
    expect(flows.map((f) => [f.endReason, f.fwdPackets, f.start, f.end])).toEqual([['idle', 2, 0, 10]]);
    t.advance(200e6 + 120e6); // exactly the timeout: not yet
    expect(flows).toHaveLength(1);
    t.advance(200e6 + 120e6 + 1);
    expect(flows.map((f) => f.endReason)).toEqual(['idle', 'idle']);
    expect(t.size).toBe(0);
    t.flush();
    expect(flows).toHaveLength(2);
  });

  it('active timeout exports and continues as a new record with the same initiator', () => {
    const pkts: PacketSpec[] = [];
    for (let i = 0; i <= 50; i++) pkts.push({ t: i * 10, src: i % 2 ? S : C, dst: i % 2 ? C : S, sp: i % 2 ? 53 : 1, dp: i % 2 ? 1 : 53, proto: 17 });
    const { flows } = run(pkts, { activeTimeoutS: 100 });
    expect(flows.map((f) => f.endReason)).toEqual(['active', 'active', 'active', 'active', 'active', 'end_of_input']);
    expect(flows.map((f) => f.start)).toEqual([0, 100, 200, 300, 400, 500]);
    expect(flows.every((f) => f.srcIp === C && f.srcPort === 1)).toBe(true);
    expect(flows.reduce((n, f) => n + f.fwdPackets + f.bwdPackets, 0)).toBe(51);
    expect(new Set(flows.map((f) => f.id)).size).toBe(6);
  });

  it('FIN both ways ends the flow after the grace period; stragglers within it still count', () => {
    const pkts: PacketSpec[] = [
      ...handshake(0),
      { t: 1, src: C, dst: S, sp: 40000, dp: 80, flags: 'FA' },
      { t: 1.001, src: S, dst: C, sp: 80, dp: 40000, flags: 'FA' },
      { t: 1.002, src: C, dst: S, sp: 40000, dp: 80, flags: 'A' },
      { t: 3, src: '10.9.9.9', dst: S, sp: 5, dp: 53, proto: 17 },
      { t: 6.002, src: '10.9.9.9', dst: S, sp: 5, dp: 53, proto: 17 },
    ];
    const flows: FlowV1[] = [];
    const t = new FlowTable({ sensor: 'unit', tcpCloseGraceS: 5 }, (f) => flows.push(f));
    const rec = new PacketRecord();
    for (const p of pkts.slice(0, 7)) t.add(fill(rec, p));
    expect(flows).toHaveLength(0);
    t.add(fill(rec, pkts[7]));
    expect(flows.map((f) => [f.endReason, f.fwdPackets, f.bwdPackets])).toEqual([['fin', 4, 2]]);
  });

  it('a new SYN on a closed 4-tuple starts a new record (port reuse)', () => {
    const { flows } = run([
      { t: 0, src: C, dst: S, sp: 40000, dp: 81, flags: 'S' },
      { t: 0.001, src: S, dst: C, sp: 81, dp: 40000, flags: 'RA' },
      { t: 1, src: C, dst: S, sp: 40000, dp: 81, flags: 'S' },
      { t: 1.001, src: S, dst: C, sp: 81, dp: 40000, flags: 'RA' },
    ]);
    expect(flows.map((f) => [f.state, f.endReason, f.fwdPackets, f.bwdPackets])).toEqual([
      ['rejected', 'rst', 1, 1], ['rejected', 'rst', 1, 1],
    ]);
  });

  it('gives the same flows whatever the replay speed and however ticks interleave', () => {
    const base: PacketSpec[] = [];
    for (let i = 0; i < 400; i++) {
      const t = i * 3.7;
      base.push({ t, src: C, dst: S, sp: 1000 + (i % 7), dp: 53, proto: 17, pay: i % 50 });
      if (i % 3 === 0) base.push({ t: t + 0.01, src: S, dst: C, sp: 53, dp: 1000 + (i % 7), proto: 17, pay: 10 });
      if (i % 11 === 0) base.push({ t: t + 0.02, src: C, dst: S, sp: 30000 + i, dp: 80, flags: 'S' });
    }
    const opts = { idleTimeoutS: 30, activeTimeoutS: 300 };
    const a = run(base, opts).flows;
    // Same packets, the sensor's watermark ticks delivered in between (a live, slower replay).
    const flows: FlowV1[] = [];
    const t = new FlowTable({ sensor: 'unit', ...opts }, (f) => flows.push(f));
    const rec = new PacketRecord();
    for (const p of base) {
      t.advance(Math.round(p.t * 1e6) - 1);
      t.add(fill(rec, p));
    }
    t.flush();
    const norm = (fs: FlowV1[]): string[] => fs.map((f) => JSON.stringify(f)).sort();
    expect(norm(flows)).toEqual(norm(a));
    expect(a.length).toBeGreaterThan(10);
  });

  it('tolerates timestamps that go backwards (IAT clamps at 0, counted)', () => {
    const { flows, table } = run([
      { t: 10, src: C, dst: S, sp: 1, dp: 2, proto: 17 },
      { t: 9, src: C, dst: S, sp: 1, dp: 2, proto: 17 },
    ]);
    expect(flows[0].features['Flow IAT Min']).toBe(0);
    expect(flows[0].end).toBe(10);
    expect(table.counters.outOfOrder).toBe(1);
  });
});

describe('FlowTable: bounded memory', () => {
  it('evicts the least recently seen flow past maxFlows and counts it', () => {
    const pkts: PacketSpec[] = [];
    for (let i = 0; i < 10; i++) pkts.push({ t: i, src: C, dst: S, sp: 1000 + i, dp: 80, flags: 'S' });
    pkts.push({ t: 10, src: C, dst: S, sp: 1000, dp: 80, flags: 'S' }); // flow 1000 was evicted: new record
    const { flows, table } = run(pkts, { maxFlows: 4 });
    expect(table.counters.evicted).toBe(7);
    expect(table.counters.peakFlows).toBe(4);
    const evicted = flows.filter((f) => f.endReason === 'evicted').map((f) => f.srcPort);
    expect(evicted).toEqual([1000, 1001, 1002, 1003, 1004, 1005, 1006]);
    expect(flows.reduce((n, f) => n + f.fwdPackets, 0)).toBe(11);
  });
});

describe('FlowTable: per-slot state', () => {
  // Flow state is one Float64 and one Int32 stride per slot: a field written at a wrong offset
  // would land in a neighbour's slot. 40 flows whose packets interleave (adjacent slots, each
  // growing the table from 16 slots) must give exactly the records each flow gives on its own.
  it('interleaved flows give the same records as each flow alone', () => {
    let seed = 12345;
    const rnd = (): number => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed / 2 ** 32; };
    const letters = ['S', 'SA', 'A', 'PA', 'FA', 'R', 'UA', 'EC', 'A', 'PA'];
    const perFlow: PacketSpec[][] = [];
    for (let n = 0; n < 40; n++) {
      const a = `10.1.${n}.1`, b = n % 5 === 0 ? `2001:db8::${n + 1}` : `10.2.${n}.2`;
      const src = n % 5 === 0 ? `2001:db8::${n + 100}` : a;
      const proto = n % 4 === 3 ? 17 : 6;
      const pkts: PacketSpec[] = [];
      for (let i = 0; i < 30; i++) {
        const fwd = rnd() < 0.6;
        const p: PacketSpec = {
          t: 0, src: fwd ? src : b, dst: fwd ? b : src, sp: fwd ? 40000 + n : 80, dp: fwd ? 80 : 40000 + n, proto,
          pay: rnd() < 0.4 ? 0 : Math.floor(rnd() * 1400), ttl: 30 + n, window: 1000 + n,
        };
        if (proto === 6) p.flags = letters[Math.floor(rnd() * letters.length)];
        if (proto === 17 && rnd() < 0.1) p.fragment = rnd() < 0.5 ? 'first' : 'rest';
        pkts.push(p);
      }
      // A late SYN from the side seen second turns some flows around (direction swap).
      if (proto === 6 && n % 3 === 0) { pkts[0].flags = 'A'; pkts[5] = { ...pkts[5], src: b, dst: src, sp: 80, dp: 40000 + n, flags: 'S' }; }
      perFlow.push(pkts);
    }
    // One time line (within the 5 s close grace, so no record is exported before flush), flows interleaved.
    const all: { flow: number; p: PacketSpec }[] = [];
    perFlow.forEach((pkts, flow) => pkts.forEach((p) => all.push({ flow, p })));
    for (let i = all.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [all[i], all[j]] = [all[j], all[i]]; }
    all.forEach((x, i) => { x.p.t = 1000 + i * 0.003 + (i % 7) * 0.0001; });
    const byId = (xs: FlowV1[]): FlowV1[] => [...xs].sort((x, y) => (x.id < y.id ? -1 : 1));
    const together = byId(run(all.map((x) => x.p), { initialCapacity: 16 }).flows);
    const alone = byId(perFlow.flatMap((_, n) => run(all.filter((x) => x.flow === n).map((x) => x.p)).flows));
    expect(together.length).toBeGreaterThanOrEqual(40);
    expect(together).toEqual(alone);
  });
});
