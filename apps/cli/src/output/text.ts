import type { AlertV1, AnomalyV1 } from '@netsentry/contracts';
import type { RunSummary } from '../analysis';
import { fmt } from './records';

/** The human summary `analyze` prints (the `table` format). */

export function table(headers: string[], rows: Array<Array<string | number>>, align?: Array<'l' | 'r'>): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmtNum(c) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r.map((c, i) => ((align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'l' ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function fmtNum(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : fmt(n);
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const u = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${u[i]}`;
}

/** UTC time of `epochS`; a time no Date can hold prints as `invalid time (<value>)`, never throws. */
export function fmtTime(epochS: number): string {
  const d = new Date(epochS * 1000);
  if (Number.isNaN(d.getTime())) return `invalid time (${epochS})`;
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** One line per alert, as printed live and in the summary. */
export function alertLine(a: AlertV1, change?: 'new' | 'update'): string {
  const tag = change === 'update' ? 'alert updated' : 'ALERT';
  return `${tag} [${a.severity}] ${a.type} ${fmtTime(a.start)}: ${a.summary}`;
}

export function anomalyLine(a: AnomalyV1): string {
  return `${a.srcIp}:${a.srcPort} -> ${a.dstIp}:${a.dstPort} proto ${a.proto} score ${a.score.toFixed(3)} (${a.severity})`;
}

export function renderSummary(s: RunSummary, opts: { topAnomalies?: number } = {}): string {
  const out: string[] = [];
  const span = s.timeRange ? `${fmtTime(s.timeRange.start)} .. ${fmtTime(s.timeRange.end)} (${fmt(s.timeRange.end - s.timeRange.start)} s)` : 'no packets';
  out.push(`NetSentry ${s.command}: ${s.inputs.map((i) => i.file).join(', ')}`);
  out.push(`${fmtNum(s.counts.packets)} packets, ${fmtBytes(s.counts.bytes)}, ${fmtNum(s.counts.flows)} flows, ${fmtNum(s.counts.hosts)} hosts; ${span}`);
  const errs = Object.entries(s.counts.decodeErrors).filter(([, v]) => v > 0);
  if (errs.length || s.counts.unsupported)
    out.push(`undecodable packets: ${[...errs.map(([k, v]) => `${k} ${v}`), ...(s.counts.unsupported ? [`unsupported link ${s.counts.unsupported}`] : [])].join(', ')}`);
  out.push('');
  out.push('Packets by protocol');
  out.push(
    table(
      ['protocol', 'packets', 'bytes', 'share'],
      Object.entries(s.protocols)
        .filter(([, v]) => v.packets > 0)
        .map(([k, v]) => [k, v.packets, fmtBytes(v.bytes), `${((100 * v.packets) / Math.max(1, s.counts.packets)).toFixed(1)}%`]),
    ),
  );
  out.push('');
  out.push('Top talkers');
  out.push(
    s.topTalkers.length
      ? table(
          ['host', 'sent', 'received', 'packets out', 'packets in', 'flows'],
          s.topTalkers.map((t) => [t.host, fmtBytes(t.bytesSent), fmtBytes(t.bytesReceived), t.packetsSent, t.packetsReceived, t.flows]),
        )
      : '(no flows)',
  );
  out.push('');
  const sev = Object.entries(s.alertsBySeverity)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  const byId = new Map(s.alerts.map((a) => [a.id, a]));
  const partOf = s.alerts.filter((a) => a.supersededBy !== undefined).length;
  out.push(`Alerts: ${s.counts.alerts}${sev || partOf ? ` (${[sev, partOf ? `${partOf} closed as part of another` : ''].filter(Boolean).join('; ')})` : ''}`);
  for (const a of s.alerts) {
    // A flood alert raised before the ddos alert on its target took it in: say so, or it reads as a second incident.
    const host = a.supersededBy === undefined ? undefined : byId.get(a.supersededBy);
    const part = a.supersededBy === undefined ? '' : ` (closed as part of ${host ? `the ${host.type} alert` : 'alert'} ${a.supersededBy})`;
    out.push(`  [${a.severity}] ${a.type}: ${a.summary}${part}`);
  }
  out.push('');
  if (s.model) {
    const how =
      s.model.source === 'trained-on-first-part' && s.model.trainedOn
        ? `trained on the first part of the input: ${s.model.trainedOn.flows} flows up to ${fmtTime(s.model.trainedOn.untilTs)} (${Math.round(s.model.trainedOn.inputFraction * 100)}% of the input read)`
        : 'from --model';
    out.push(`Model ${s.model.id} v${s.model.version}, ${how}`);
  } else if (s.modelNote) out.push(s.modelNote);
  const n = opts.topAnomalies ?? 10;
  out.push(`Anomalies: ${s.counts.anomalies}${s.counts.anomalies > n ? ` (top ${n})` : ''}`);
  if (s.anomalies.length)
    out.push(
      table(
        ['source', 'destination', 'proto', 'score', 'severity', 'src dsts', 'src ports', 'pkts/dst', 'top features'],
        s.anomalies.slice(0, n).map((a) => [
          `${a.srcIp}:${a.srcPort}`,
          `${a.dstIp}:${a.dstPort}`,
          String(a.proto),
          a.score.toFixed(3),
          a.severity,
          String(s.anomalySources[a.srcIp]?.uniqueDestinations ?? '-'),
          String(s.anomalySources[a.srcIp]?.uniqueDstPorts ?? '-'),
          String(s.anomalySources[a.srcIp]?.packetsPerDestination ?? '-'),
          a.topFeatures
            .slice(0, 3)
            .map((t) => `${t.name}=${fmt(t.value)} (typ. ${fmt(t.baseline)})`)
            .join(', '),
        ]),
        ['l', 'l', 'r', 'r', 'l', 'r', 'r', 'r', 'l'],
      ),
    );
  for (const w of s.warnings) out.push(w);
  return out.join('\n');
}
