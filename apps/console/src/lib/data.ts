import { severityRank, SEVERITIES, type AlertV1, type AnomalyV1, type FlowV1, type Severity } from '@netsentry/contracts';
import { countAlerts, findAlerts, findAnomalies, findFlows, getAlert, listSensors, statsSeries, type SensorStatus } from '@netsentry/storage';
import { db } from './db';
import type { AlertFilters, AnomalyFilters, FlowFilters } from './filters';

/**
 * Every read the console makes, in one module (server side only), over the
 * @netsentry/storage read functions. Pages call these; nothing else touches the database.
 */
export const PAGE_SIZE = 50;

export async function alertCounts(): Promise<{ bySeverity: Record<Severity, number>; byType: Record<string, number>; total: number }> {
  const rows = await countAlerts(await db());
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byType: Record<string, number> = {};
  let total = 0;
  for (const r of rows) {
    bySeverity[r.severity] += r.count;
    byType[r.type] = (byType[r.type] ?? 0) + r.count;
    total += r.count;
  }
  return { bySeverity, byType, total };
}

export interface AlertPage {
  /** At most PAGE_SIZE alerts, newest activity first. */
  alerts: AlertV1[];
  /** Whether a next page has at least one alert. */
  hasMore: boolean;
}

/** One page of alerts. One row past the page is fetched only to learn whether another page exists. */
export async function listAlerts(f: AlertFilters): Promise<AlertPage> {
  const rows = await findAlerts(await db(), {
    types: f.type ? [f.type] : undefined,
    minSeverity: f.severity,
    host: f.host,
    since: f.from,
    until: f.to,
    limit: PAGE_SIZE + 1,
    offset: (f.page - 1) * PAGE_SIZE,
  });
  return { alerts: rows.slice(0, PAGE_SIZE), hasMore: rows.length > PAGE_SIZE };
}

export async function alertById(id: string): Promise<AlertV1 | null> {
  return getAlert(await db(), id);
}

export async function listAnomalies(f: AnomalyFilters): Promise<AnomalyV1[]> {
  return findAnomalies(await db(), { host: f.host, minSeverity: f.severity, minScore: f.minScore, since: f.from, until: f.to, limit: 200 });
}

/** Flows of the alert's hosts around its window: the evidence a person checks. */
export async function flowsForAlert(a: AlertV1, limit = 50): Promise<FlowV1[]> {
  const host = a.targets[0] ?? a.sources[0];
  if (!host) return [];
  return findFlows(await db(), { host, since: a.start - 60, until: a.end + 60, limit });
}

export async function listFlows(f: FlowFilters): Promise<FlowV1[]> {
  return findFlows(await db(), { host: f.host, since: f.from, until: f.to, limit: f.limit });
}

export async function sensors(): Promise<SensorStatus[]> {
  return listSensors(await db());
}

/** Packets and bytes per interval by protocol (global statistics, merged over instances). */
export interface TrafficPoint {
  t: number;
  packets: number;
  bytes: number;
  tcp: number;
  udp: number;
  icmp: number;
  other: number;
}

export async function trafficSeries(sinceS?: number): Promise<TrafficPoint[]> {
  const rows = await statsSeries(await db(), { kind: 'global', since: sinceS, limit: 5000 });
  const byT = new Map<number, TrafficPoint>();
  for (const s of rows) {
    if (s.entity.kind !== 'global') continue;
    const e = s.entity;
    let p = byT.get(s.start);
    if (!p) {
      p = { t: s.start, packets: 0, bytes: 0, tcp: 0, udp: 0, icmp: 0, other: 0 };
      byT.set(s.start, p);
    }
    p.packets += e.packets;
    p.bytes += e.bytes;
    p.tcp += e.protocols.tcp.packets;
    p.udp += e.protocols.udp.packets;
    p.icmp += e.protocols.icmp.packets + e.protocols.icmpv6.packets;
    p.other += e.protocols.arp.packets + e.protocols.other.packets;
  }
  return [...byT.values()].sort((a, b) => a.t - b.t);
}

export function bySeverityDesc<T extends { severity: Severity }>(xs: T[]): T[] {
  return [...xs].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
}
