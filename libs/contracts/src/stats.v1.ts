import { z } from 'zod';
import { EpochSeconds, IpAddress, Protocol, SensorId, StorableText } from './common';

/*
 * Per-interval traffic statistics, published on `netsentry.stats.v1`.
 *
 * One message per (sensor, aggregator instance, interval, entity). An aggregator instance only
 * sees its share of the flows (packets are partitioned by flow hash), so every message is a
 * PARTIAL: the detector instance that owns the Kafka key (`global`, `src:<ip>`, `dst:<ip>`)
 * merges the partials of one (sensor, interval, entity) with `mergeStats` (libs/flows).
 *
 * Counters are sums, so they merge exactly. Distinct sets are bottom-k sketches
 * (`DistinctSetV1`): exact up to `k` items, and past that the `k` items with the smallest hash,
 * which also merge exactly (the bottom-k of a union is the bottom-k of the partial bottom-ks).
 */

const Count = z.number().int().nonnegative();
const Port = z.number().int().min(0).max(65535);

/** A mergeable distinct set of items (bottom-k sketch). */
function distinctSet<T extends z.ZodType>(item: T) {
  return z.object({
    /** Number of distinct items: exact when `exact`, else the bottom-k estimate (k-1)/h_k. */
    n: Count,
    /** True when `items` holds every distinct item seen. */
    exact: z.boolean(),
    /** Sketch size: at most this many items are kept; past it the set is an estimate. */
    k: z.number().int().min(1).max(65536),
    /** The items (all of them when `exact`, else the `k` with the smallest hash), in hash order. */
    items: z.array(item).max(65536),
    /** Distinct items not listed: `n - items.length` (0 when exact). */
    overflow: Count,
  });
}

/**
 * A keyed list kept like a distinct set: every entry while there are at most `k`, else the `k`
 * entries whose key hashes lowest. Each kept entry is complete, and the selection merges exactly.
 */
function sampledList<T extends z.ZodType>(entry: T) {
  return z.object({
    /** True when every entry is listed. */
    exact: z.boolean(),
    /** Sample size. */
    k: z.number().int().min(1).max(65536),
    /** Number of distinct keys: exact when `exact`, else estimated. */
    n: Count,
    /** The entries, in key-hash order. */
    items: z.array(entry).max(65536),
  });
}

/** Distinct IP addresses. */
export const DistinctIpsV1 = distinctSet(IpAddress);
export type DistinctIpsV1 = z.infer<typeof DistinctIpsV1>;
/** Distinct TCP/UDP port numbers (TCP and UDP ports share one number space here). */
export const DistinctPortsV1 = distinctSet(Port);
export type DistinctPortsV1 = z.infer<typeof DistinctPortsV1>;

/** Packets and bytes of one protocol family. */
export const PacketBytesV1 = z.object({
  /** Packets counted. */
  packets: Count,
  /** Sum of frame lengths on the wire. */
  bytes: Count,
});
export type PacketBytesV1 = z.infer<typeof PacketBytesV1>;

/** Packets and bytes by protocol. */
export const ProtocolCountsV1 = z.object({
  /** TCP (IP protocol 6), fragments included. */
  tcp: PacketBytesV1,
  /** UDP (17), fragments included. */
  udp: PacketBytesV1,
  /** ICMP for IPv4 (1). */
  icmp: PacketBytesV1,
  /** ICMPv6 (58). */
  icmpv6: PacketBytesV1,
  /** ARP frames (not IP). */
  arp: PacketBytesV1,
  /** Everything else (other IP protocols, other ethertypes). */
  other: PacketBytesV1,
});
export type ProtocolCountsV1 = z.infer<typeof ProtocolCountsV1>;

/** One host in a top-N chart list. */
export const HostCountV1 = z.object({
  /** Host address. */
  ip: IpAddress,
  /** Packets sent (top sources) or received (top destinations). */
  packets: Count,
  /** Bytes sent or received. */
  bytes: Count,
});
export type HostCountV1 = z.infer<typeof HostCountV1>;

/** What one source sent to one destination host in the interval (port-scan and transfer facts). */
export const SourceHostV1 = z.object({
  /** Destination host. */
  ip: IpAddress,
  /** Packets from the source to this host. */
  packets: Count,
  /** Bytes from the source to this host. */
  bytes: Count,
  /** Probe packets: TCP SYN without ACK, or the packet that opened a UDP/other flow. */
  probes: Count,
  /** Distinct destination ports probed on this host. */
  ports: DistinctPortsV1,
  /** Probed ports that answered: TCP SYN-ACK, or a UDP packet back from that port. */
  open: DistinctPortsV1,
  /** Probes refused: TCP RST answering a SYN, or ICMP/ICMPv6 destination unreachable from this host. */
  failed: Count,
});
export type SourceHostV1 = z.infer<typeof SourceHostV1>;

/** Hosts one source probed on one service (host-sweep facts). */
export const SourceServiceV1 = z.object({
  /** IP protocol: 6 TCP, 17 UDP, 1 ICMP echo, 58 ICMPv6 echo. */
  proto: Protocol,
  /** Destination port (0 for ICMP echo). */
  port: Port,
  /** Distinct hosts probed on it. */
  hosts: DistinctIpsV1,
});
export type SourceServiceV1 = z.infer<typeof SourceServiceV1>;

/** One source's attack-like packets to a destination (flood facts). */
export const AttackerV1 = z.object({
  /** Source address. */
  ip: IpAddress,
  /** Its TCP SYNs without ACK, UDP packets not on a flow the destination opened, ICMP other than errors and answered echo replies, later fragments. */
  packets: Count,
});
export type AttackerV1 = z.infer<typeof AttackerV1>;

/** Whole-sensor totals of the interval (Kafka key `global`). */
export const GlobalStatsEntityV1 = z.object({
  kind: z.literal('global'),
  /** Every frame, IP or not. */
  packets: Count,
  /** Sum of frame lengths on the wire. */
  bytes: Count,
  /** Totals by protocol. */
  protocols: ProtocolCountsV1,
  /** Flows opened in the interval (packets for which the flow table created a flow). */
  newFlows: Count,
  /** Top-N sources by bytes sent (per partial; merged lists are summed and cut again, so approximate across partials). */
  topSources: z.array(HostCountV1).max(1000),
  /** Top-N destinations by bytes received (same caveat). */
  topDestinations: z.array(HostCountV1).max(1000),
});

/** What one source IP did in the interval (Kafka key `src:<ip>`). */
export const SourceStatsEntityV1 = z.object({
  kind: z.literal('source'),
  /** The source address (for ARP, the sender protocol address). */
  ip: IpAddress,
  /** IP packets sent. */
  packets: Count,
  /** Bytes sent. */
  bytes: Count,
  /** Flows this source opened. */
  newFlows: Count,
  /** Distinct destination hosts: of its IP packets and of its ARP requests (local-segment targets). */
  dstHosts: DistinctIpsV1,
  /** Distinct destination ports of its probes (all hosts). */
  dstPorts: DistinctPortsV1,
  /** Per destination host: every host when `exact`, else the `k` hosts with the smallest address hash (each complete). */
  hosts: sampledList(SourceHostV1),
  /** Per probed service (proto, port) the distinct hosts probed, ICMP echo requests as port 0; sampled like `hosts`. */
  services: sampledList(SourceServiceV1),
  /** Distinct target addresses of its ARP requests on the local segment (gratuitous ARP excluded). */
  arpTargets: DistinctIpsV1,
  /** Distinct hosts that answered it with an ARP reply (a sweep's targets mostly do not exist). Optional (added later): absent means none seen. */
  arpReplies: DistinctIpsV1.optional(),
});

/** What one destination IP received in the interval (Kafka key `dst:<ip>`). */
export const DestinationStatsEntityV1 = z.object({
  kind: z.literal('destination'),
  /** The destination address. */
  ip: IpAddress,
  /** IP packets received. */
  packets: Count,
  /** Bytes received. */
  bytes: Count,
  /** Received, by protocol (`arp` is always zero here). */
  protocols: ProtocolCountsV1,
  /** TCP SYNs without ACK received. */
  syns: Count,
  /** TCP handshakes to it completed (SYN, SYN-ACK, then ACK seen) in the interval. */
  handshakes: Count,
  /** Distinct destination ports of the SYNs (a flood hammers few ports, a port scan spreads). */
  synPorts: DistinctPortsV1,
  /** Distinct destination ports of its UDP packets (same purpose for UDP). */
  udpPorts: DistinctPortsV1,
  /** UDP packets it received on flows it opened (answers, not a flood). Optional (added later): absent means 0. */
  udpAnswers: Count.optional(),
  /** ICMP/ICMPv6 echo replies to its own echo requests, and ICMP errors (which always answer a packet it sent). Optional: absent means 0. */
  icmpAnswers: Count.optional(),
  /** Per source, its attack-like packets (see AttackerV1); sampled like a source's `hosts`. Optional: absent means unknown. */
  attackers: sampledList(AttackerV1).optional(),
  /** Distinct sources that sent to it. */
  sources: DistinctIpsV1,
});

/** The entity a statistics message describes. */
export const StatsEntityV1 = z.discriminatedUnion('kind', [GlobalStatsEntityV1, SourceStatsEntityV1, DestinationStatsEntityV1]);
export type StatsEntityV1 = z.infer<typeof StatsEntityV1>;
export type GlobalStatsEntityV1 = z.infer<typeof GlobalStatsEntityV1>;
export type SourceStatsEntityV1 = z.infer<typeof SourceStatsEntityV1>;
export type DestinationStatsEntityV1 = z.infer<typeof DestinationStatsEntityV1>;

/** Partial statistics of one entity over one interval, from one aggregator instance. */
export const StatsV1 = z.object({
  /** Sensor the packets were captured on. */
  sensor: SensorId,
  /** Aggregator instance that built this partial; merged messages list every contributor joined by `+`. */
  instance: StorableText.min(1).max(1024),
  /** Interval start in packet time (epoch seconds, a multiple of `intervalS`). */
  start: EpochSeconds,
  /** Interval length in seconds. */
  intervalS: z.number().positive().max(3600),
  /** The entity and its figures. */
  entity: StatsEntityV1,
});
export type StatsV1 = z.infer<typeof StatsV1>;

/** Kafka key of a statistics message: `global`, `src:<ip>` or `dst:<ip>`. */
export function statsKey(s: Pick<StatsV1, 'entity'>): string {
  const e = s.entity;
  return e.kind === 'global' ? 'global' : e.kind === 'source' ? `src:${e.ip}` : `dst:${e.ip}`;
}
