import fc from 'fast-check';
import { StatsV1, statsKey } from '@netsentry/contracts';
import { L3, MAX_TS_US, PacketRecord } from '@netsentry/packets';
import { StatsBuilder, type StatsBuilderOptions } from './stats.builder';
import { mergeStats } from './stats.merge';

// A tiny packet builder: fills the reusable record the way the decoder does.
const V4 = (a: number, b: number, c: number, d: number): number[] => [0, 0, 0xffff, ((a << 24) | (b << 16) | (c << 8) | d) >>> 0];
const V6 = (last: number): number[] => [0x20010db8, 0, 0, last];

interface Pkt { t: number; src: number[]; dst: number[]; proto: number; sport: number; dport: number; flags?: number; icmpType?: number; len?: number; arp?: boolean }

function fill(rec: PacketRecord, p: Pkt): void {
  rec.reset();
  rec.tsUs = Math.round(p.t * 1e6);
  rec.wireLen = p.len ?? 60;
  rec.capLen = rec.wireLen;
  if (p.arp) {
    rec.l3 = L3.ARP;
    rec.arpOp = 1;
    rec.arpSenderIp = p.src[3];
    rec.arpTargetIp = p.dst[3];
    rec.src.set(p.src);
    rec.dst.set(p.dst);
    return;
  }
  rec.l3 = p.src[2] === 0xffff ? L3.IPv4 : L3.IPv6;
  rec.src.set(p.src);
  rec.dst.set(p.dst);
  rec.proto = p.proto;
  rec.srcPort = p.sport;
  rec.dstPort = p.dport;
  rec.tcpFlags = p.flags ?? 0;
  rec.icmpType = p.icmpType ?? 0;
}

/** Direction-independent flow key, as the flow table would see it. */
function flowKey(p: Pkt): string {
  const a = `${p.src.join('.')}:${p.sport}`, b = `${p.dst.join('.')}:${p.dport}`;
  return `${p.proto}|${a < b ? a + '|' + b : b + '|' + a}|${p.arp ? 'arp' : ''}`;
}

function run(pkts: Pkt[], opts: Partial<StatsBuilderOptions> = {}, parts = 1, assign?: (p: Pkt) => number): StatsV1[] {
  const out: StatsV1[] = [];
  const builders = Array.from({ length: parts }, (_, i) => new StatsBuilder({ sensor: 's1', instance: `i${i}`, ...opts }, (s) => out.push(s)));
  const seen = new Set<string>();
  const rec = new PacketRecord();
  for (const p of pkts) {
    const key = flowKey(p);
    const isNew = !p.arp && !seen.has(key);
    seen.add(key);
    fill(rec, p);
    builders[assign ? assign(p) % parts : 0].add(rec, isNew);
  }
  for (const b of builders) b.flush();
  return out;
}

function mergedByKey(msgs: StatsV1[]): Map<string, StatsV1> {
  const groups = new Map<string, StatsV1[]>();
  for (const m of msgs) {
    const k = `${m.start}|${statsKey(m)}`;
    const g = groups.get(k);
    if (g) g.push(m); else groups.set(k, [m]);
  }
  const out = new Map<string, StatsV1>();
  for (const [k, g] of groups) out.set(k, { ...mergeStats(g), instance: '-' });
  return out;
}

describe('StatsBuilder', () => {
  const scanner = V4(10, 0, 0, 1), victim = V4(10, 0, 0, 2);

  it('counts a SYN scan: distinct ports, open ports, refused probes, SYNs per destination', () => {
    const pkts: Pkt[] = [];
    for (let port = 1; port <= 30; port++) pkts.push({ t: 100.1, src: scanner, dst: victim, proto: 6, sport: 40000, dport: port, flags: 0x02 });
    // port 22 answers SYN-ACK, ports 1..5 answer RST, the rest stay silent
    pkts.push({ t: 100.2, src: victim, dst: scanner, proto: 6, sport: 22, dport: 40000, flags: 0x12 });
    for (let port = 1; port <= 5; port++) pkts.push({ t: 100.2, src: victim, dst: scanner, proto: 6, sport: port, dport: 40000, flags: 0x14 });
    const out = run(pkts);
    for (const m of out) expect(StatsV1.safeParse(m).success).toBe(true);
    const src = out.find((m) => m.entity.kind === 'source' && m.entity.ip === '10.0.0.1')!.entity;
    if (src.kind !== 'source') throw new Error('kind');
    expect(src.packets).toBe(30);
    expect(src.dstPorts.n).toBe(30);
    const host = src.hosts.items.find((h) => h.ip === '10.0.0.2')!;
    expect(host.ports.n).toBe(30);
    expect(host.probes).toBe(30);
    expect(host.open.items).toEqual([22]);
    expect(host.failed).toBe(5);
    expect(src.services.items.length).toBe(30);
    const dst = out.find((m) => m.entity.kind === 'destination' && m.entity.ip === '10.0.0.2')!.entity;
    if (dst.kind !== 'destination') throw new Error('kind');
    expect(dst.syns).toBe(30);
    expect(dst.handshakes).toBe(0);
    expect(dst.synPorts.n).toBe(30);
    expect(dst.udpPorts.n).toBe(0);
    expect(dst.sources.items).toEqual(['10.0.0.1']);
    const g = out.find((m) => m.entity.kind === 'global')!.entity;
    if (g.kind !== 'global') throw new Error('kind');
    expect(g.packets).toBe(36);
    expect(g.protocols.tcp.packets).toBe(36);
    expect(g.newFlows).toBe(30);
    expect(g.topSources[0].ip).toBe('10.0.0.1');
  });

  it('counts completed handshakes, not just SYNs', () => {
    const c = V4(192, 168, 1, 5), s = V4(192, 168, 1, 9);
    const out = run([
      { t: 5.0, src: c, dst: s, proto: 6, sport: 5000, dport: 80, flags: 0x02 },
      { t: 5.1, src: s, dst: c, proto: 6, sport: 80, dport: 5000, flags: 0x12 },
      { t: 5.2, src: c, dst: s, proto: 6, sport: 5000, dport: 80, flags: 0x10 },
      { t: 5.3, src: c, dst: s, proto: 6, sport: 5000, dport: 80, flags: 0x18 },
    ]);
    const dst = out.find((m) => m.entity.kind === 'destination' && m.entity.ip === '192.168.1.9')!.entity;
    expect(dst.kind === 'destination' && dst.syns).toBe(1);
    expect(dst.kind === 'destination' && dst.handshakes).toBe(1);
  });

  it('records ARP request targets but not gratuitous ARP, and splits intervals by packet time', () => {
    const me = V4(10, 0, 0, 128);
    const pkts: Pkt[] = [];
    for (let i = 1; i <= 25; i++) pkts.push({ t: 7.0 + i * 0.01, src: me, dst: V4(10, 0, 0, i), proto: 0, sport: 0, dport: 0, arp: true });
    pkts.push({ t: 7.5, src: me, dst: me, proto: 0, sport: 0, dport: 0, arp: true });
    pkts.push({ t: 8.5, src: me, dst: V4(10, 0, 0, 99), proto: 0, sport: 0, dport: 0, arp: true });
    const out = run(pkts);
    const srcs = out.filter((m) => m.entity.kind === 'source');
    expect(srcs.map((m) => m.start)).toEqual([7, 8]);
    const first = srcs[0].entity;
    expect(first.kind === 'source' && first.arpTargets.n).toBe(25);
    expect(first.kind === 'source' && first.arpTargets.items.includes('10.0.0.128')).toBe(false);
    expect(first.kind === 'source' && first.dstHosts.n).toBe(25); // ARP targets are destination hosts too
    const g = out.filter((m) => m.entity.kind === 'global').map((m) => m.entity.kind === 'global' && m.entity.protocols.arp.packets);
    expect(g).toEqual([26, 1]);
  });

  it('refuses a packet time that is negative, not a number or at or past MAX_TS_US (counted, no interval opened)', () => {
    const out: StatsV1[] = [];
    const b = new StatsBuilder({ sensor: 's1' }, (s) => out.push(s));
    const rec = new PacketRecord();
    fill(rec, { t: 100.5, src: scanner, dst: victim, proto: 6, sport: 1, dport: 2, flags: 2 });
    b.add(rec, true);
    for (const bad of [MAX_TS_US, 9e17, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      rec.tsUs = bad;
      b.add(rec, true);
    }
    rec.tsUs = 100.7e6;
    b.add(rec, false);
    b.flush();
    expect(b.badTime).toBe(5);
    expect([...new Set(out.map((m) => m.start))]).toEqual([100]);
    const g = out.find((m) => m.entity.kind === 'global')!.entity;
    expect(g.kind === 'global' && [g.packets, g.newFlows]).toEqual([2, 1]);
  });

  it('estimates distinct sets past k and keeps the bottom-k items', () => {
    const pkts: Pkt[] = [];
    for (let i = 0; i < 5000; i++) pkts.push({ t: 1, src: V4(172, 16, i >> 8, i & 255), dst: victim, proto: 17, sport: 1000, dport: 53 });
    const out = run(pkts, { setK: 256 });
    const dst = out.find((m) => m.entity.kind === 'destination')!.entity;
    if (dst.kind !== 'destination') throw new Error('kind');
    expect(dst.sources.exact).toBe(false);
    expect(dst.sources.items.length).toBe(256);
    expect(dst.sources.n).toBeGreaterThan(5000 * 0.8);
    expect(dst.sources.n).toBeLessThan(5000 * 1.2);
    expect(dst.sources.overflow).toBe(dst.sources.n - 256);
  });

  it('writes IPv6 addresses in canonical text', () => {
    const out = run([{ t: 3, src: V6(2), dst: V6(1), proto: 58, sport: 0, dport: 0, icmpType: 128 }]);
    const src = out.find((m) => m.entity.kind === 'source')!.entity;
    expect(src.kind === 'source' && src.ip).toBe('2001:db8::2');
    expect(src.kind === 'source' && src.services.items[0]).toMatchObject({ proto: 58, port: 0, hosts: { items: ['2001:db8::1'] } });
  });
});

describe('mergeStats', () => {
  const hosts = [V4(10, 0, 0, 1), V4(10, 0, 0, 2), V4(10, 0, 0, 3), V4(192, 168, 0, 7), V4(8, 8, 8, 8), V6(1), V6(2), V6(0xabcd)];
  const pkt = fc.record({
    t: fc.integer({ min: 0, max: 3000 }).map((ms) => 50 + ms / 1000),
    src: fc.constantFrom(...hosts),
    dst: fc.constantFrom(...hosts),
    proto: fc.constantFrom(6, 6, 17, 1, 58),
    sport: fc.integer({ min: 1, max: 12 }),
    dport: fc.integer({ min: 1, max: 12 }),
    flags: fc.constantFrom(0x02, 0x12, 0x10, 0x14, 0x04, 0x18),
    icmpType: fc.constantFrom(8, 3, 128, 1, 0),
    len: fc.integer({ min: 42, max: 1514 }),
    arp: fc.boolean(),
  }).map((p) => ({ ...p, arp: p.arp && p.src[2] === 0xffff && p.dst[2] === 0xffff && p.proto === 1 }));
  // Small sketches so that the overflow paths run too.
  const opts = { setK: 3, portK: 2, hostK: 2, serviceK: 3, topN: 100 };

  it('merging the partials of a flow-hash split equals the single-builder statistics (exact, any split)', () => {
    fc.assert(
      fc.property(fc.array(pkt, { minLength: 1, maxLength: 120 }), fc.integer({ min: 1, max: 1 << 30 }), (raw, salt) => {
        const pkts = [...raw].sort((a, b) => a.t - b.t);
        const split = (p: Pkt) => {
          let h = salt;
          for (const ch of flowKey(p)) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
          return h >>> 0;
        };
        const one = mergedByKey(run(pkts, opts));
        const two = mergedByKey(run(pkts, opts, 2, split));
        expect([...two.keys()].sort()).toEqual([...one.keys()].sort());
        for (const [k, v] of one) expect(two.get(k)).toEqual(v);
      }),
      { numRuns: 150, seed: 4242 },
    );
  });

  it('is order-independent', () => {
    fc.assert(
      fc.property(fc.array(pkt, { minLength: 1, maxLength: 80 }), (raw) => {
        const pkts = [...raw].sort((a, b) => a.t - b.t);
        const msgs = run(pkts, opts, 3, (p) => flowKey(p).length);
        const fwd = mergedByKey(msgs);
        const rev = mergedByKey([...msgs].reverse());
        for (const [k, v] of fwd) expect(rev.get(k)).toEqual(v);
      }),
      { numRuns: 100, seed: 7 },
    );
  });

  it('merges messages from older aggregators without the optional answer fields', () => {
    const out = run([{ t: 1, src: hosts[0], dst: hosts[1], proto: 17, sport: 5000, dport: 53 }]);
    const dst = out.find((m) => m.entity.kind === 'destination')!;
    if (dst.entity.kind !== 'destination') throw new Error('kind');
    expect(dst.entity.udpAnswers).toBe(0);
    expect(dst.entity.attackers!.items).toEqual([{ ip: '10.0.0.1', packets: 1 }]);
    const { udpAnswers: _u, icmpAnswers: _i, attackers: _a, ...old } = dst.entity;
    const legacy: StatsV1 = { ...dst, instance: 'old', entity: old };
    expect(StatsV1.safeParse(legacy).success).toBe(true);
    const alone = mergeStats([legacy, { ...legacy, instance: 'old2' }]).entity;
    expect(alone.kind === 'destination' && [alone.udpAnswers, alone.attackers]).toEqual([undefined, undefined]);
    const mixed = mergeStats([legacy, dst]).entity;
    expect(mixed.kind === 'destination' && [mixed.udpAnswers, mixed.attackers?.items]).toEqual([0, [{ ip: '10.0.0.1', packets: 1 }]]);
  });

  it('refuses partials of different entities', () => {
    const out = run([{ t: 1, src: hosts[0], dst: hosts[1], proto: 17, sport: 1, dport: 2 }]);
    expect(() => mergeStats(out)).toThrow(/does not match/);
    expect(() => mergeStats([])).toThrow(/no partials/);
  });
});
