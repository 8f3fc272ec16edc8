import { StatsV1, statsKey } from './stats.v1';

const pb = (packets: number) => ({ packets, bytes: packets * 64 });
const protocols = { tcp: pb(10), udp: pb(2), icmp: pb(1), icmpv6: pb(0), arp: pb(0), other: pb(0) };
const ips = (items: string[]) => ({ n: items.length, exact: true, k: 256, items, overflow: 0 });
const ports = (items: number[]) => ({ n: items.length, exact: true, k: 256, items, overflow: 0 });
const sampled = <T>(items: T[]) => ({ exact: true, k: 256, n: items.length, items });

const globalStats: StatsV1 = {
  sensor: 'sensor-a',
  instance: 'agg-1',
  start: 1700000000,
  intervalS: 10,
  entity: {
    kind: 'global',
    packets: 13,
    bytes: 832,
    protocols,
    newFlows: 3,
    topSources: [{ ip: '10.0.0.5', packets: 10, bytes: 640 }],
    topDestinations: [{ ip: '192.168.1.10', packets: 10, bytes: 640 }],
  },
};
const sourceStats: StatsV1 = {
  sensor: 'sensor-a',
  instance: 'agg-1+agg-2',
  start: 1700000000,
  intervalS: 10,
  entity: {
    kind: 'source',
    ip: '10.0.0.5',
    packets: 25,
    bytes: 1500,
    newFlows: 25,
    dstHosts: ips(['192.168.1.10']),
    dstPorts: ports([22, 80, 443]),
    hosts: sampled([{ ip: '192.168.1.10', packets: 25, bytes: 1500, probes: 25, ports: ports([22, 80, 443]), open: ports([22]), failed: 24 }]),
    services: sampled([{ proto: 6, port: 22, hosts: ips(['192.168.1.10']) }]),
    arpTargets: ips([]),
  },
};
const destinationStats: StatsV1 = {
  sensor: 'sensor-a',
  instance: 'agg-2',
  start: 1700000010,
  intervalS: 10,
  entity: { kind: 'destination', ip: '2001:db8::10', packets: 500, bytes: 30000, protocols, syns: 480, handshakes: 2, synPorts: ports([80]), udpPorts: ports([]), sources: ips(['10.0.0.5', '10.0.0.6']) },
};

type Bad = [string, StatsV1, (a: Record<string, unknown>) => void, string];
const e = (a: Record<string, unknown>) => a.entity as Record<string, unknown>;
const BAD: Bad[] = [
  ['an unknown entity kind', globalStats, (a) => (e(a).kind = 'host'), 'entity.kind'],
  ['a zero interval', globalStats, (a) => (a.intervalS = 0), 'intervalS'],
  ['an interval over an hour', globalStats, (a) => (a.intervalS = 3601), 'intervalS'],
  ['a source entity without its ip', sourceStats, (a) => delete e(a).ip, 'entity.ip'],
  ['a distinct set whose k is 0', sourceStats, (a) => ((e(a).dstPorts as Record<string, unknown>).k = 0), 'entity.dstPorts.k'],
  ['a port set holding a port above 65535', sourceStats, (a) => ((e(a).dstPorts as { items: number[] }).items = [70000]), 'entity.dstPorts.items.0'],
  ['a destination with negative syns', destinationStats, (a) => (e(a).syns = -1), 'entity.syns'],
  ['a sampled host list given as a bare array', sourceStats, (a) => (e(a).hosts = []), 'entity.hosts'],
  ['a protocol table without arp', globalStats, (a) => delete (e(a).protocols as Record<string, unknown>).arp, 'entity.protocols.arp'],
  ['an empty instance', globalStats, (a) => (a.instance = ''), 'instance'],
];

describe('StatsV1', () => {
  it.each([
    ['global', globalStats, 'global'],
    ['source', sourceStats, 'src:10.0.0.5'],
    ['destination', destinationStats, 'dst:2001:db8::10'],
  ] as const)('accepts a valid %s record unchanged and keys it', (_k, rec, key) => {
    expect(StatsV1.parse(rec)).toEqual(rec);
    expect(statsKey(rec)).toBe(key);
  });

  it.each(BAD)('rejects %s', (_name, base, mutate, path) => {
    const bad = structuredClone(base) as unknown as Record<string, unknown>;
    mutate(bad);
    const r = StatsV1.safeParse(bad);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
