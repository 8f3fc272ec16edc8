import type { FlowV1 } from '@netsentry/contracts';

/**
 * Per-host behaviour profiles built from finished flows, and a host-level anomaly score
 * for the "which machine is behaving oddly" question.
 *
 * The score is robust and explainable rather than learned: each profile feature is
 * log-scaled (log1p), centred on the median over all hosts and divided by the scaled
 * median absolute deviation (floored at 0.25 in log units, so a feature every host shares
 * does not turn a tiny difference into a huge z). A host's score is 1 - exp(-z/4) of the
 * mean of its three largest positive z values: 0 for a typical host, about 0.5 at z ≈ 2.8,
 * → 1 for hosts many deviations above the rest. The features that contribute are named.
 * Only excess counts (above the median) raise the score: a quiet host is not suspicious.
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
  /** Packets sent per distinct destination. */
  packetsPerDestination: number;
  /** Share of its initiated TCP flows that were rejected or never answered (0..1). */
  failedConnectionRatio: number;
  /** Distinct peers that opened flows to this host. */
  uniqueSources: number;
  score: number;
  /** The profile features that set the score apart, largest first. */
  reasons: Array<{ feature: ScoredFeature; value: number; median: number; z: number }>;
}

export const SCORED_FEATURES = [
  'uniqueDestinations',
  'uniqueDstPorts',
  'uniqueSrcPorts',
  'packetsSent',
  'bytesSent',
  'packetsPerDestination',
  'failedConnectionRatio',
  'uniqueSources',
  'packetsReceived',
] as const;
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
}

export class HostProfiler {
  private readonly hosts = new Map<string, Acc>();

  private acc(ip: string): Acc {
    let a = this.hosts.get(ip);
    if (!a) {
      a = {
        flowsOut: 0, flowsIn: 0, dsts: new Set(), dstPorts: new Set(), srcPorts: new Set(), srcs: new Set(),
        packetsSent: 0, packetsReceived: 0, bytesSent: 0, bytesReceived: 0, tcpOut: 0, tcpFailed: 0,
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
        packetsPerDestination: a.dsts.size ? a.packetsSent / a.dsts.size : 0,
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

const MAD_FLOOR = 0.25;

/** Fills `score` and `reasons` of every profile (see the file comment for the method). */
export function scoreHosts(profiles: HostProfile[]): void {
  if (profiles.length === 0) return;
  const n = profiles.length;
  const stats = SCORED_FEATURES.map((feat) => {
    const xs = profiles.map((p) => Math.log1p(p[feat] as number)).sort((a, b) => a - b);
    const med = median(xs);
    const mad = median(xs.map((x) => Math.abs(x - med)).sort((a, b) => a - b)) * 1.4826;
    return { feat, med, scale: Math.max(mad, MAD_FLOOR) };
  });
  for (const p of profiles) {
    const zs = stats
      .map(({ feat, med, scale }) => ({ feature: feat, value: p[feat] as number, median: Math.expm1(med), z: (Math.log1p(p[feat] as number) - med) / scale }))
      .filter((r) => r.z > 0)
      .sort((a, b) => b.z - a.z);
    const top = zs.slice(0, 3);
    const m = top.length ? top.reduce((s, r) => s + r.z, 0) / 3 : 0;
    // With fewer than 3 hosts there is no population to compare with.
    p.score = n < 3 ? 0 : round(1 - Math.exp(-m / 4), 4);
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
