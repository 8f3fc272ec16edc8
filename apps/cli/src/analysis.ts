import type { AlertV1, AnomalyV1, FlowV1 } from '@netsentry/contracts';
import { severityRank, SEVERITIES } from '@netsentry/contracts';
import { FLOW_FEATURE_NAMES } from '@netsentry/flows';
import type { CaptureSummary } from '@netsentry/packets';
import type { TrainedInfo } from './flow-scoring';
import type { ProtoClass, TrafficCounters, TrafficSeries } from './traffic';

/**
 * What `analyze` keeps about a run beyond the streamed CSV rows: top talkers, a seeded
 * reservoir sample of flow features (for the correlation heatmap), the anomalies, and
 * the figures for summary.json and report.html.
 */
export const RESERVOIR = 4000;
export const MAX_ANOMALIES_KEPT = 1000;

export interface Talker {
  host: string;
  bytesSent: number;
  bytesReceived: number;
  packetsSent: number;
  packetsReceived: number;
  flows: number;
}

/** What the anomalous flow's source host did overall (context a person needs to judge the score). */
export interface HostContext {
  uniqueDestinations: number;
  uniqueDstPorts: number;
  packetsPerDestination: number;
  failedConnectionRatio: number;
}

/** The figures of an Analysis at the end of a run (plain data). */
export interface AnalysisResult {
  anomalyCount: number;
  /** Distinct hosts seen in flows. */
  hosts: number;
  topTalkers: Talker[];
  /** Highest-scoring anomalies, at most MAX_ANOMALIES_KEPT. */
  topAnomalies: AnomalyV1[];
  anomalySources: Record<string, HostContext>;
  correlation: { features: string[]; matrix: number[][] };
}

export class Analysis {
  readonly talkers = new Map<string, Talker>();
  /** Per source host: destinations, ports, packets and failed TCP flows (bounded by the number of hosts). */
  private readonly sources = new Map<string, { dsts: Set<string>; ports: Set<number>; packets: number; tcp: number; failed: number }>();
  readonly anomalies: AnomalyV1[] = [];
  anomalyCount = 0;
  private readonly sample: number[][] = [];
  private seen = 0;
  private rng = 0x9e3779b9;

  onFlow(f: FlowV1): void {
    let src = this.sources.get(f.srcIp);
    if (!src) {
      src = { dsts: new Set(), ports: new Set(), packets: 0, tcp: 0, failed: 0 };
      this.sources.set(f.srcIp, src);
    }
    src.dsts.add(f.dstIp);
    if (src.ports.size < 65536) src.ports.add(f.dstPort);
    src.packets += f.fwdPackets;
    if (f.proto === 6) {
      src.tcp++;
      if (f.state === 'rejected' || f.state === 'half_open') src.failed++;
    }
    this.talk(f.srcIp, f.fwdBytes, f.bwdBytes, f.fwdPackets, f.bwdPackets);
    this.talk(f.dstIp, f.bwdBytes, f.fwdBytes, f.bwdPackets, f.fwdPackets);
    // Reservoir sampling (Vitter's algorithm R) with a fixed-seed xorshift: same input, same sample.
    this.seen++;
    if (this.sample.length < RESERVOIR) this.sample.push(featureRow(f));
    else {
      const j = this.next() % this.seen;
      if (j < RESERVOIR) this.sample[j] = featureRow(f);
    }
  }

  onAnomaly(a: AnomalyV1): void {
    this.anomalyCount++;
    this.anomalies.push(a);
    // Keep the highest scores only, in bounded memory.
    if (this.anomalies.length >= 2 * MAX_ANOMALIES_KEPT) this.trim();
  }

  topAnomalies(n = MAX_ANOMALIES_KEPT): AnomalyV1[] {
    this.trim();
    return this.anomalies.slice(0, n);
  }

  private trim(): void {
    this.anomalies.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    this.anomalies.length = Math.min(this.anomalies.length, MAX_ANOMALIES_KEPT);
  }

  /** Context of each source host among the given anomalies. */
  hostContext(anomalies: AnomalyV1[]): Record<string, HostContext> {
    const out: Record<string, HostContext> = {};
    for (const a of anomalies) {
      const s = this.sources.get(a.srcIp);
      if (!s || out[a.srcIp]) continue;
      out[a.srcIp] = {
        uniqueDestinations: s.dsts.size,
        uniqueDstPorts: s.ports.size,
        packetsPerDestination: Math.round((s.packets / Math.max(1, s.dsts.size)) * 10) / 10,
        failedConnectionRatio: s.tcp ? Math.round((s.failed / s.tcp) * 1000) / 1000 : 0,
      };
    }
    return out;
  }

  /** What summary.json and report.html need, as plain data (it crosses from the analyze worker). */
  result(): AnalysisResult {
    const top = this.topAnomalies();
    return {
      anomalyCount: this.anomalyCount,
      hosts: this.talkers.size,
      topTalkers: this.topTalkers(10),
      topAnomalies: top,
      anomalySources: this.hostContext(top),
      correlation: this.correlation(),
    };
  }

  topTalkers(n = 10): Talker[] {
    return [...this.talkers.values()]
      .sort((a, b) => b.bytesSent + b.bytesReceived - (a.bytesSent + a.bytesReceived) || (a.host < b.host ? -1 : 1))
      .slice(0, n);
  }

  /** Pearson correlation over the sampled flows, for the most variable `max` features. */
  correlation(max = 14): { features: string[]; matrix: number[][] } {
    const rows = this.sample;
    if (rows.length < 3) return { features: [], matrix: [] };
    const k = FLOW_FEATURE_NAMES.length;
    const mean = new Float64Array(k);
    const sd = new Float64Array(k);
    // Index loops, not for-of: this runs once, mostly before V8 optimises it, and an unoptimised
    // for-of allocates an iterator result per row (~25 MB over the 196 pairs below).
    const n = rows.length;
    for (let j = 0; j < n; j++) { const r = rows[j]; for (let i = 0; i < k; i++) mean[i] += r[i]; }
    for (let i = 0; i < k; i++) mean[i] /= n;
    for (let j = 0; j < n; j++) { const r = rows[j]; for (let i = 0; i < k; i++) sd[i] += (r[i] - mean[i]) ** 2; }
    for (let i = 0; i < k; i++) sd[i] = Math.sqrt(sd[i] / n);
    // Coefficient of variation picks features that actually vary in this capture.
    const idx = [...Array(k).keys()]
      .filter((i) => sd[i] > 0)
      .sort((a, b) => sd[b] / (Math.abs(mean[b]) + 1e-9) - sd[a] / (Math.abs(mean[a]) + 1e-9))
      .slice(0, max)
      .sort((a, b) => a - b);
    // The chosen columns, centred, as typed arrays: the pair sums below then box no doubles
    // while they run unoptimised (they allocated ~16 MB here). Same products, same order.
    const cols = idx.map((a) => {
      const c = new Float64Array(n);
      for (let j = 0; j < n; j++) c[j] = rows[j][a] - mean[a];
      return c;
    });
    const m = idx.length;
    const matrix: number[][] = idx.map(() => new Array<number>(m).fill(0));
    for (let p = 0; p < m; p++) {
      for (let q = p; q < m; q++) {
        const x = cols[p], y = cols[q];
        let s = 0;
        for (let j = 0; j < n; j++) s += x[j] * y[j];
        // Symmetric: (a, b) and (b, a) have the same products in the same order.
        matrix[p][q] = matrix[q][p] = Math.round((s / n / (sd[idx[p]] * sd[idx[q]])) * 1000) / 1000;
      }
    }
    return { features: idx.map((i) => FLOW_FEATURE_NAMES[i]), matrix };
  }

  private talk(host: string, sent: number, recv: number, pSent: number, pRecv: number): void {
    let t = this.talkers.get(host);
    if (!t) {
      t = { host, bytesSent: 0, bytesReceived: 0, packetsSent: 0, packetsReceived: 0, flows: 0 };
      this.talkers.set(host, t);
    }
    t.bytesSent += sent;
    t.bytesReceived += recv;
    t.packetsSent += pSent;
    t.packetsReceived += pRecv;
    t.flows++;
  }

  private next(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }
}

function featureRow(f: FlowV1): number[] {
  const r = new Array<number>(FLOW_FEATURE_NAMES.length);
  for (let i = 0; i < FLOW_FEATURE_NAMES.length; i++) {
    const v = f.features[FLOW_FEATURE_NAMES[i]];
    r[i] = Number.isFinite(v) ? v : 0;
  }
  return r;
}

export function sortAlerts(alerts: Iterable<AlertV1>): AlertV1[] {
  return [...alerts].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.start - b.start || (a.id < b.id ? -1 : 1));
}

export function alertsBySeverity(alerts: AlertV1[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of SEVERITIES) out[s] = 0;
  for (const a of alerts) out[a.severity]++;
  return out;
}

/** summary.json: counts, then alerts and anomalies as contract records. */
export interface RunSummary {
  tool: 'netsentry';
  version: 1;
  command: string;
  sensor: string;
  inputs: Array<{ file: string; format: string; packets: number; bytes: number; error?: CaptureSummary['error'] }>;
  timeRange: { start: number; end: number } | null;
  counts: {
    packets: number;
    bytes: number;
    flows: number;
    alerts: number;
    anomalies: number;
    hosts: number;
    decodeErrors: Record<string, number>;
    unsupported: number;
  };
  protocols: Record<ProtoClass, { packets: number; bytes: number }>;
  alertsBySeverity: Record<string, number>;
  topTalkers: Talker[];
  model: {
    id: string;
    version: number;
    source: 'file' | 'trained-on-first-part';
    trainedOn?: { flows: number; inputFraction: number; untilTs: number };
  } | null;
  modelNote?: string;
  warnings: string[];
  alerts: AlertV1[];
  /** Highest-scoring anomalies (at most 1000; `counts.anomalies` has the total). */
  anomalies: AnomalyV1[];
  /** For each source address among `anomalies`: what that host did in the whole input. */
  anomalySources: Record<string, HostContext>;
}

export interface ReportData {
  summary: RunSummary;
  traffic: TrafficSeries;
  lengths: Array<{ bin: string; packets: number }>;
  correlation: { features: string[]; matrix: number[][] };
}

export function buildSummary(args: {
  command: string;
  sensor: string;
  inputs: CaptureSummary[];
  traffic: TrafficCounters;
  flows: number;
  alerts: AlertV1[];
  analysis: AnalysisResult;
  model: { id: string; version: number } | null;
  trained?: Pick<TrainedInfo, 'flows' | 'inputFraction' | 'untilTs' | 'skippedReason'>;
  warnings: string[];
}): RunSummary {
  const { traffic } = args;
  const decodeErrors: Record<string, number> = {};
  let unsupported = 0;
  for (const s of args.inputs) {
    for (const [k, v] of Object.entries(s.decodeErrors ?? {})) decodeErrors[k] = (decodeErrors[k] ?? 0) + v;
    unsupported += s.unsupported ?? 0;
  }
  return {
    tool: 'netsentry',
    version: 1,
    command: args.command,
    sensor: args.sensor,
    inputs: args.inputs.map((s) => ({ file: s.file, format: s.format, packets: s.packets, bytes: s.bytes, ...(s.error ? { error: s.error } : {}) })),
    timeRange: traffic.firstTsUs < 0 ? null : { start: traffic.firstTsUs / 1e6, end: traffic.lastTsUs / 1e6 },
    counts: {
      packets: traffic.packets,
      bytes: traffic.bytes,
      flows: args.flows,
      alerts: args.alerts.length,
      anomalies: args.analysis.anomalyCount,
      hosts: args.analysis.hosts,
      decodeErrors,
      unsupported,
    },
    protocols: traffic.byProtocol(),
    alertsBySeverity: alertsBySeverity(args.alerts),
    topTalkers: args.analysis.topTalkers,
    model: args.model
      ? {
          id: args.model.id,
          version: args.model.version,
          source: args.trained ? 'trained-on-first-part' : 'file',
          ...(args.trained ? { trainedOn: { flows: args.trained.flows, inputFraction: args.trained.inputFraction, untilTs: args.trained.untilTs } } : {}),
        }
      : null,
    ...(args.trained?.skippedReason ? { modelNote: `no model: ${args.trained.skippedReason}; anomalies were not scored` } : {}),
    warnings: args.warnings,
    alerts: args.alerts,
    anomalies: args.analysis.topAnomalies,
    anomalySources: args.analysis.anomalySources,
  };
}
