import type {
  DestinationStatsEntityV1,
  DistinctIpsV1,
  DistinctPortsV1,
  GlobalStatsEntityV1,
  HostCountV1,
  PacketBytesV1,
  ProtocolCountsV1,
  SourceHostV1,
  SourceServiceV1,
  SourceStatsEntityV1,
  StatsV1,
} from '@netsentry/contracts';
import { ipFromString } from '@netsentry/packets';
import { hashPort, hashService, hashWords, kmvEstimate } from './hash';
import { sortTop } from './stats.builder';

// The entity checks compare fields instead of calling contracts' statsKey: the flow table and
// statistics builders import only types from @netsentry/contracts, so loading libs/flows does
// not load zod and every schema (~0.1 s of CPU in a short-lived process such as a flow meter run).
const entityIp = (s: StatsV1): string => (s.entity.kind === 'global' ? '' : s.entity.ip);
const sameEntity = (a: StatsV1, b: StatsV1): boolean => a.entity.kind === b.entity.kind && entityIp(a) === entityIp(b);
const label = (s: StatsV1): string => `${s.sensor}/${s.start}/${s.entity.kind}${s.entity.kind === 'global' ? '' : ` ${s.entity.ip}`}`;

/**
 * Merges the partial statistics of one (sensor, interval, entity) from several aggregator
 * instances into one message. Exact and order-independent: counters are summed, distinct sets
 * and sampled lists are bottom-k sketches whose merge equals the sketch of the union. The one
 * approximation is the global top-N lists: each partial is cut at N before they are summed
 * (the merged list is the sorted union, not cut again).
 *
 * Throws (a bug, not bad input) when the partials describe different sensors, intervals or entities,
 * or the list is empty. Validate messages with `StatsV1` before merging them.
 */
export function mergeStats(partials: readonly StatsV1[]): StatsV1 {
  if (partials.length === 0) throw new Error('mergeStats: no partials');
  const first = partials[0];
  for (const p of partials) {
    if (p.sensor !== first.sensor || p.start !== first.start || p.intervalS !== first.intervalS || !sameEntity(p, first)) {
      throw new Error(`mergeStats: partial ${label(p)} does not match ${label(first)}`);
    }
  }
  const instance = [...new Set(partials.flatMap((p) => p.instance.split('+')))].sort().join('+');
  const base = { sensor: first.sensor, instance, start: first.start, intervalS: first.intervalS };
  switch (first.entity.kind) {
    case 'global':
      return { ...base, entity: mergeGlobal(partials.map((p) => p.entity as GlobalStatsEntityV1)) };
    case 'source':
      return { ...base, entity: mergeSource(partials.map((p) => p.entity as SourceStatsEntityV1)) };
    case 'destination':
      return { ...base, entity: mergeDestination(partials.map((p) => p.entity as DestinationStatsEntityV1)) };
  }
}

function sum<T>(xs: readonly T[], f: (x: T) => number): number {
  let s = 0;
  for (const x of xs) s += f(x);
  return s;
}

function mergePB(xs: PacketBytesV1[]): PacketBytesV1 {
  return { packets: sum(xs, (x) => x.packets), bytes: sum(xs, (x) => x.bytes) };
}

function mergeProtocols(xs: ProtocolCountsV1[]): ProtocolCountsV1 {
  return {
    tcp: mergePB(xs.map((x) => x.tcp)),
    udp: mergePB(xs.map((x) => x.udp)),
    icmp: mergePB(xs.map((x) => x.icmp)),
    icmpv6: mergePB(xs.map((x) => x.icmpv6)),
    arp: mergePB(xs.map((x) => x.arp)),
    other: mergePB(xs.map((x) => x.other)),
  };
}

/** Sums the partial top lists by host and sorts them; not cut, so a consumer slices what it shows. */
function mergeTop(lists: HostCountV1[][]): HostCountV1[] {
  const by = new Map<string, HostCountV1>();
  for (const l of lists) {
    for (const r of l) {
      const e = by.get(r.ip);
      if (e) { e.packets += r.packets; e.bytes += r.bytes; } else by.set(r.ip, { ...r });
    }
  }
  return sortTop([...by.values()]);
}

function mergeGlobal(xs: GlobalStatsEntityV1[]): GlobalStatsEntityV1 {
  return {
    kind: 'global',
    packets: sum(xs, (x) => x.packets),
    bytes: sum(xs, (x) => x.bytes),
    protocols: mergeProtocols(xs.map((x) => x.protocols)),
    newFlows: sum(xs, (x) => x.newFlows),
    topSources: mergeTop(xs.map((x) => x.topSources)),
    topDestinations: mergeTop(xs.map((x) => x.topDestinations)),
  };
}

/** Sketch hash of an address in text form (the same value the builder computes from its words). */
export function hashIp(ip: string): number {
  const w = ipFromString(ip);
  if (w === null) return hashWords(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff);
  return hashWords(w[0], w[1], w[2], w[3]);
}

interface Sketch<T> { n: number; exact: boolean; k: number; items: T[] }

/** Union of bottom-k sketches: exact while the union fits in k, else the k items hashing lowest. */
function unionSketch<T extends string | number>(xs: Sketch<T>[], hash: (t: T) => number): { n: number; exact: boolean; k: number; items: T[] } {
  const k = Math.max(1, ...xs.map((x) => x.k));
  const all = new Set<T>();
  for (const x of xs) for (const it of x.items) all.add(it);
  const exact = xs.every((x) => x.exact) && all.size <= k;
  const h = new Map<T, number>();
  for (const it of all) h.set(it, hash(it));
  const items = [...all].sort((a, b) => h.get(a)! - h.get(b)! || (a < b ? -1 : a > b ? 1 : 0));
  if (exact) return { n: items.length, exact, k, items };
  const kept = items.slice(0, k);
  return { n: kmvEstimate(k, h.get(kept[kept.length - 1])!), exact, k, items: kept };
}

export function mergeIps(xs: DistinctIpsV1[]): DistinctIpsV1 {
  const u = unionSketch(xs, hashIp);
  return { ...u, overflow: u.n - u.items.length };
}

export function mergePorts(xs: DistinctPortsV1[]): DistinctPortsV1 {
  const u = unionSketch(xs, hashPort);
  return { ...u, overflow: u.n - u.items.length };
}

/** Union of sampled keyed lists, entries with the same key merged by `combine`. */
function unionList<E>(
  xs: Sketch<E>[],
  keyOf: (e: E) => string,
  hash: (key: string) => number,
  combine: (es: E[]) => E,
): Sketch<E> {
  const k = Math.max(1, ...xs.map((x) => x.k));
  const groups = new Map<string, E[]>();
  for (const x of xs) for (const e of x.items) {
    const key = keyOf(e);
    const g = groups.get(key);
    if (g) g.push(e); else groups.set(key, [e]);
  }
  const keys = [...groups.keys()];
  const exact = xs.every((x) => x.exact) && keys.length <= k;
  const h = new Map<string, number>();
  for (const key of keys) h.set(key, hash(key));
  keys.sort((a, b) => h.get(a)! - h.get(b)! || (a < b ? -1 : a > b ? 1 : 0));
  const kept = exact ? keys : keys.slice(0, k);
  const n = exact ? kept.length : kmvEstimate(k, h.get(kept[kept.length - 1])!);
  return { exact, k, n, items: kept.map((key) => combine(groups.get(key)!)) };
}

function mergeHost(es: SourceHostV1[]): SourceHostV1 {
  return {
    ip: es[0].ip,
    packets: sum(es, (e) => e.packets),
    bytes: sum(es, (e) => e.bytes),
    probes: sum(es, (e) => e.probes),
    ports: mergePorts(es.map((e) => e.ports)),
    open: mergePorts(es.map((e) => e.open)),
    failed: sum(es, (e) => e.failed),
  };
}

function mergeService(es: SourceServiceV1[]): SourceServiceV1 {
  return { proto: es[0].proto, port: es[0].port, hosts: mergeIps(es.map((e) => e.hosts)) };
}

const serviceKey = (s: SourceServiceV1): string => `${s.proto}/${s.port}`;
const serviceKeyHash = (key: string): number => {
  const [proto, port] = key.split('/').map(Number);
  return hashService(proto, port);
};

function mergeSource(xs: SourceStatsEntityV1[]): SourceStatsEntityV1 {
  return {
    kind: 'source',
    ip: xs[0].ip,
    packets: sum(xs, (x) => x.packets),
    bytes: sum(xs, (x) => x.bytes),
    newFlows: sum(xs, (x) => x.newFlows),
    dstHosts: mergeIps(xs.map((x) => x.dstHosts)),
    dstPorts: mergePorts(xs.map((x) => x.dstPorts)),
    hosts: unionList(xs.map((x) => x.hosts), (e) => e.ip, hashIp, mergeHost),
    services: unionList(xs.map((x) => x.services), serviceKey, serviceKeyHash, mergeService),
    arpTargets: mergeIps(xs.map((x) => x.arpTargets)),
    ...(xs.some((x) => x.arpReplies !== undefined) ? { arpReplies: mergeIps(xs.flatMap((x) => (x.arpReplies ? [x.arpReplies] : []))) } : {}),
  };
}

/** Sums an optional counter; stays absent when no partial has it (messages from older aggregators). */
function optionalCount<K extends 'udpAnswers' | 'icmpAnswers'>(key: K, xs: DestinationStatsEntityV1[]): Partial<Record<K, number>> {
  if (xs.every((x) => x[key] === undefined)) return {};
  return { [key]: sum(xs, (x) => x[key] ?? 0) } as Partial<Record<K, number>>;
}

function mergeDestination(xs: DestinationStatsEntityV1[]): DestinationStatsEntityV1 {
  return {
    kind: 'destination',
    ip: xs[0].ip,
    packets: sum(xs, (x) => x.packets),
    bytes: sum(xs, (x) => x.bytes),
    protocols: mergeProtocols(xs.map((x) => x.protocols)),
    syns: sum(xs, (x) => x.syns),
    handshakes: sum(xs, (x) => x.handshakes),
    synPorts: mergePorts(xs.map((x) => x.synPorts)),
    udpPorts: mergePorts(xs.map((x) => x.udpPorts)),
    ...optionalCount('udpAnswers', xs),
    ...optionalCount('icmpAnswers', xs),
    ...(xs.some((x) => x.attackers !== undefined)
      ? { attackers: unionList(xs.flatMap((x) => (x.attackers ? [x.attackers] : [])), (e) => e.ip, hashIp, (es) => ({ ip: es[0].ip, packets: sum(es, (e) => e.packets) })) }
      : {}),
    sources: mergeIps(xs.map((x) => x.sources)),
  };
}
