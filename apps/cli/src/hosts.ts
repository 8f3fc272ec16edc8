import type { FlowV1 } from '@netsentry/contracts';

/**
 * Per-host behaviour profiles built from finished flows, and a host-level anomaly score
 * for the "which machine is behaving oddly" question.
 *
 * The score is robust and explainable rather than learned. Behaviour a host *initiates*
 * (fan-out to destinations and ports, source ports used, packets sent in its own flows,
 * packets per destination, failed connections) is compared with the other initiating
 * hosts; fan-in (distinct sources reaching it) with the other hosts that were reached. A
 * server answering downloads is therefore not "sending a lot". Each feature is log-scaled
 * (log1p), centred on the median of its population and divided by the scaled median
 * absolute deviation (floored at 0.5 in log units, about a factor 1.65). Three pseudo-hosts
 * with ordinary client behaviour join every population as a prior, so a capture with one
 * or two active hosts still has something to compare with. A host's score is
 * 1 - exp(-m/6) with m = z1 + z2/2 + z3/4 over its three largest positive z values (one
 * extreme feature, like a sweep's fan-out, is enough): 0 for a typical host, about 0.5 at
 * m ≈ 4, → 1 far above the rest. Only excess counts raise the score. Packets per
 * destination is reported but not scored: an ordinary download has many.
 */
export interface HostProfile {
  host: string;
  /** Flows this host initiated / answered. */
  flowsOut: number;
  flowsIn: number;
  uniqueDestinations: number;
  uniqueDstPorts: number;
  uniqueSrcPorts: number;
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  /** Packets sent in its own flows per distinct destination (reported, not scored). */
  packetsPerDestination: number;
  /** Packets sent in the flows it initiated. */
  packetsInitiated: number;
  /** Share of its initiated TCP flows that were rejected or never answered (0..1). */
  failedConnectionRatio: number;
  /** Distinct peers that opened flows to this host. */
  uniqueSources: number;
  score: number;
  /** The profile features that set the score apart, largest first. */
  reasons: Array<{ feature: ScoredFeature; value: number; median: number; z: number }>;
}

/** Features of what a host initiates, compared among initiating hosts. */
const OUT_FEATURES = ['uniqueDestinations', 'uniqueDstPorts', 'uniqueSrcPorts', 'packetsInitiated', 'failedConnectionRatio'] as const;
/** Fan-in, compared among hosts that were reached. */
const IN_FEATURES = ['uniqueSources'] as const;
export const SCORED_FEATURES = [...OUT_FEATURES, ...IN_FEATURES] as const;
export type ScoredFeature = (typeof SCORED_FEATURES)[number];

interface Acc {
  flowsOut: number;
  flowsIn: number;
  dsts: Set<string>;
  dstPorts: Set<number>;
  srcPorts: Set<number>;
  srcs: Set<string>;
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  tcpOut: number;
  tcpFailed: number;
  packetsInitiated: number;
}

export class HostProfiler {
  private readonly hosts = new Map<string, Acc>();

  private acc(ip: string): Acc {
    let a = this.hosts.get(ip);
    if (!a) {
      a = {
        flowsOut: 0, flowsIn: 0, dsts: new Set(), dstPorts: new Set(), srcPorts: new Set(), srcs: new Set(),
        packetsSent: 0, packetsReceived: 0, bytesSent: 0, bytesReceived: 0, tcpOut: 0, tcpFailed: 0, packetsInitiated: 0,
      };
      this.hosts.set(ip, a);
    }
    return a;
  }

  add(f: FlowV1): void {
    const s = this.acc(f.srcIp);
    s.flowsOut++;
    s.dsts.add(f.dstIp);
    s.dstPorts.add(f.dstPort);
    s.srcPorts.add(f.srcPort);
    s.packetsSent += f.fwdPackets;
    s.packetsInitiated += f.fwdPackets;
    s.bytesSent += f.fwdBytes;
    s.packetsReceived += f.bwdPackets;
    s.bytesReceived += f.bwdBytes;
    if (f.proto === 6) {
      s.tcpOut++;
      if (f.state === 'rejected' || f.state === 'half_open') s.tcpFailed++;
    }
    const d = this.acc(f.dstIp);
    d.flowsIn++;
    d.srcs.add(f.srcIp);
    d.packetsReceived += f.fwdPackets;
    d.bytesReceived += f.fwdBytes;
    d.packetsSent += f.bwdPackets;
    d.bytesSent += f.bwdBytes;
  }

  get size(): number {
    return this.hosts.size;
  }

  profiles(): HostProfile[] {
    const out: HostProfile[] = [];
    for (const [host, a] of this.hosts)
      out.push({
        host,
        flowsOut: a.flowsOut,
        flowsIn: a.flowsIn,
        uniqueDestinations: a.dsts.size,
        uniqueDstPorts: a.dstPorts.size,
        uniqueSrcPorts: a.srcPorts.size,
        packetsSent: a.packetsSent,
        packetsReceived: a.packetsReceived,
        bytesSent: a.bytesSent,
        bytesReceived: a.bytesReceived,
        packetsPerDestination: a.dsts.size ? a.packetsInitiated / a.dsts.size : 0,
        packetsInitiated: a.packetsInitiated,
        failedConnectionRatio: a.tcpOut ? a.tcpFailed / a.tcpOut : 0,
        uniqueSources: a.srcs.size,
        score: 0,
        reasons: [],
      });
    scoreHosts(out);
    out.sort((x, y) => y.score - x.score || y.packetsSent - x.packetsSent || (x.host < y.host ? -1 : 1));
    return out;
  }
}

const MAD_FLOOR = 0.5;

/** Ordinary client behaviour, three sizes: the prior every population is compared with. */
const PRIOR: Array<Record<ScoredFeature, number>> = [1, 2, 4].map((k) => ({
  uniqueDestinations: 2 * k,
  uniqueDstPorts: 2 * k,
  uniqueSrcPorts: 4 * k,
  packetsInitiated: 50 * k,
  failedConnectionRatio: 0.02 * k,
  uniqueSources: 2 * k,
}));

/** Fills `score` and `reasons` of every profile (see the file comment for the method). */
export function scoreHosts(profiles: HostProfile[]): void {
  const initiators = profiles.filter((p) => p.flowsOut > 0);
  const reached = profiles.filter((p) => p.flowsIn > 0);
  const fit = (feat: ScoredFeature, pop: HostProfile[]): { feat: ScoredFeature; med: number; scale: number } => {
    const xs = [...pop.map((p) => p[feat] as number), ...PRIOR.map((p) => p[feat])].map((v) => Math.log1p(v)).sort((a, b) => a - b);
    const med = median(xs);
    const mad = median(xs.map((x) => Math.abs(x - med)).sort((a, b) => a - b)) * 1.4826;
    return { feat, med, scale: Math.max(mad, MAD_FLOOR) };
  };
  const outStats = OUT_FEATURES.map((f) => fit(f, initiators));
  const inStats = IN_FEATURES.map((f) => fit(f, reached));
  for (const p of profiles) {
    const stats = [...(p.flowsOut > 0 ? outStats : []), ...(p.flowsIn > 0 ? inStats : [])];
    const zs = stats
      .map(({ feat, med, scale }) => ({ feature: feat, value: p[feat] as number, median: Math.expm1(med), z: (Math.log1p(p[feat] as number) - med) / scale }))
      .filter((r) => r.z > 0)
      .sort((a, b) => b.z - a.z);
    const m = (zs[0]?.z ?? 0) + (zs[1]?.z ?? 0) / 2 + (zs[2]?.z ?? 0) / 4;
    p.score = round(1 - Math.exp(-m / 6), 4);
    p.reasons = zs.filter((r) => r.z >= 2).map((r) => ({ ...r, z: round(r.z, 2), median: round(r.median, 2) }));
  }
}

function median(sorted: number[]): number {
  const n = sorted.length;
  if (n === 0) return 0;
  return n % 2 ? sorted[(n - 1) >> 1] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

function round(x: number, d: number): number {
  const k = 10 ** d;
  return Math.round(x * k) / k;
}
