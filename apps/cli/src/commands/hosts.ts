import { HostProfiler, SCORED_FEATURES, type HostProfile } from '../hosts';
import { meterFiles } from '../meter';
import { fmt } from '../output/records';
import { csvRow, LineSink } from '../output/sink';
import { fmtBytes, table } from '../output/text';

export interface HostsOptions {
  files: string[];
  sensor: string;
  format: 'table' | 'json' | 'csv';
  out?: string;
  top: number;
  quiet?: boolean;
  print?: (s: string) => void;
}

const CSV_COLUMNS = [
  'host', 'score', 'flowsOut', 'flowsIn', 'uniqueDestinations', 'uniqueDstPorts', 'uniqueSrcPorts', 'packetsSent', 'packetsReceived',
  'bytesSent', 'bytesReceived', 'packetsInitiated', 'packetsPerDestination', 'failedConnectionRatio', 'uniqueSources', 'reasons',
] as const;

/** hosts: per-host behaviour profiles with a host-level anomaly score, most unusual first. */
export async function runHosts(o: HostsOptions): Promise<HostProfile[]> {
  const print = o.print ?? ((s: string) => process.stdout.write(s + '\n'));
  const prof = new HostProfiler();
  await meterFiles(o.files, o.sensor, (f) => prof.add(f), { label: 'hosts', quiet: o.quiet });
  const hosts = prof.profiles();
  const reasons = (h: HostProfile): string => h.reasons.map((r) => `${r.feature}=${fmt(r.value)} (median ${fmt(r.median)}, z ${r.z})`).join('; ');
  if (o.format === 'json') {
    const text = JSON.stringify({ hosts, scoredFeatures: SCORED_FEATURES }, null, 2);
    if (o.out) {
      const s = LineSink.file(o.out);
      s.line(text);
      s.close();
    } else print(text);
  } else if (o.format === 'csv') {
    const s = o.out ? LineSink.file(o.out) : LineSink.stdout();
    s.line(csvRow(CSV_COLUMNS));
    for (const h of hosts) s.line(csvRow(CSV_COLUMNS.map((c) => (c === 'reasons' ? reasons(h) : h[c]))));
    s.close();
  } else {
    const shown = hosts.slice(0, o.top);
    print(`${hosts.length} hosts${hosts.length > shown.length ? ` (top ${shown.length} by score)` : ''}`);
    print(
      table(
        ['host', 'score', 'dsts', 'dst ports', 'src ports', 'pkts out', 'bytes out', 'pkts/dst', 'failed', 'srcs in', 'why'],
        shown.map((h) => [
          h.host, h.score.toFixed(3), h.uniqueDestinations, h.uniqueDstPorts, h.uniqueSrcPorts, h.packetsSent, fmtBytes(h.bytesSent),
          fmt(Math.round(h.packetsPerDestination * 10) / 10), `${Math.round(h.failedConnectionRatio * 100)}%`, h.uniqueSources,
          h.reasons.slice(0, 2).map((r) => `${r.feature} ${fmt(r.value)} vs ${fmt(r.median)}`).join(', '),
        ]),
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
      ),
    );
  }
  return hosts;
}
