import type { AlertV1, AnomalyV1, FlowV1 } from '@netsentry/contracts';
import { CIC_COLUMNS, FLOW_FEATURE_NAMES, toCicRow } from '@netsentry/flows';
import { csvField, csvNum, csvRow, LineSink } from './sink';

/** Flow, alert and anomaly rows for CSV and JSON Lines outputs. */

export type FlowFeatureSet = 'native' | 'cic';
export type FlowFormat = 'csv' | 'jsonl';

const FLOW_FIXED = [
  'id', 'sensor', 'proto', 'srcIp', 'srcPort', 'dstIp', 'dstPort', 'vlan', 'vlanInner',
  'start', 'end', 'endReason', 'state', 'service', 'fwdPackets', 'bwdPackets', 'fwdBytes', 'bwdBytes',
] as const;

/** Writes one row per flow with every feature; `cic` names and orders columns like CICFlowMeter. */
export class FlowWriter {
  private readonly sink: LineSink;
  private headerDone = false;
  constructor(
    sink: LineSink,
    private readonly format: FlowFormat,
    private readonly features: FlowFeatureSet,
  ) {
    this.sink = sink;
  }

  get rows(): number {
    return this.sink.lines - (this.headerDone && this.format === 'csv' ? 1 : 0);
  }

  write(f: FlowV1): void {
    if (this.format === 'jsonl') {
      this.sink.line(JSON.stringify(this.features === 'cic' ? cicObject(f) : f));
      return;
    }
    if (!this.headerDone) {
      this.headerDone = true;
      this.sink.line(csvRow(this.features === 'cic' ? CIC_COLUMNS : [...FLOW_FIXED, ...FLOW_FEATURE_NAMES]));
    }
    if (this.features === 'cic') {
      this.sink.line(csvRow(toCicRow(f)));
      return;
    }
    // The same text as csvRow over [...FLOW_FIXED, ...features] (numbers need no quoting check),
    // without the row array: this runs once per flow with 106 fields.
    let s =
      csvField(f.id) + ',' + csvField(f.sensor) + ',' + csvNum(f.proto) + ',' + csvField(f.srcIp) + ',' + csvNum(f.srcPort) + ',' +
      csvField(f.dstIp) + ',' + csvNum(f.dstPort) + ',' + csvNum(f.vlan) + ',' + csvNum(f.vlanInner) + ',' + csvNum(f.start) + ',' +
      csvNum(f.end) + ',' + csvField(f.endReason) + ',' + csvField(f.state) + ',' + csvField(f.service) + ',' + csvNum(f.fwdPackets) + ',' +
      csvNum(f.bwdPackets) + ',' + csvNum(f.fwdBytes) + ',' + csvNum(f.bwdBytes);
    const features = f.features;
    for (let i = 0; i < FLOW_FEATURE_NAMES.length; i++) s += ',' + csvNum(features[FLOW_FEATURE_NAMES[i]]);
    this.sink.line(s);
  }

  /** Writes the header even when there were no flows, then closes. */
  close(): void {
    if (this.format === 'csv' && !this.headerDone) {
      this.headerDone = true;
      this.sink.line(csvRow(this.features === 'cic' ? CIC_COLUMNS : [...FLOW_FIXED, ...FLOW_FEATURE_NAMES]));
    }
    this.sink.close();
  }
}

function cicObject(f: FlowV1): Record<string, unknown> {
  const row = toCicRow(f);
  const o: Record<string, unknown> = {};
  CIC_COLUMNS.forEach((c, i) => (o[c] = row[i]));
  return o;
}

// supersededBy and includes came later: last, so readers by position keep working.
export const ALERT_COLUMNS = [
  'id', 'type', 'severity', 'start', 'end', 'sources', 'targets', 'sourceCount', 'targetCount', 'summary', 'evidence', 'rule', 'sensor',
  'supersededBy', 'includes',
];

export function writeAlertsCsv(path: string, alerts: AlertV1[]): void {
  const sink = LineSink.file(path);
  sink.line(csvRow(ALERT_COLUMNS));
  for (const a of alerts)
    sink.line(
      csvRow([
        a.id, a.type, a.severity, a.start, a.end, a.sources.join(' '), a.targets.join(' '),
        a.sourceCount ?? a.sources.length, a.targetCount ?? a.targets.length, a.summary,
        a.evidence.map((e) => `${e.metric}=${e.value} ${e.op} ${e.threshold} in ${e.windowSeconds}s`).join('; '),
        a.rule ?? '', a.sensor, a.supersededBy ?? '', (a.includes ?? []).join(' '),
      ]),
    );
  sink.close();
}

export const ANOMALY_COLUMNS = [
  'id', 'flowId', 'score', 'severity', 'proto', 'srcIp', 'srcPort', 'dstIp', 'dstPort', 'start', 'end', 'model', 'topFeatures',
];

export function anomalyRow(a: AnomalyV1): string {
  return csvRow([
    a.id, a.flowId, a.score, a.severity, a.proto, a.srcIp, a.srcPort, a.dstIp, a.dstPort, a.start, a.end,
    `${a.model.id}@${a.model.version}`, explainFeatures(a),
  ]);
}

/** `syn_count=120 (typical 1); dst_port_entropy=...` : the explanation a person reads. */
export function explainFeatures(a: AnomalyV1, max = 5): string {
  return a.topFeatures
    .slice(0, max)
    .map((t) => `${t.name}=${fmt(t.value)} (typical ${fmt(t.baseline)}, ${Math.round(t.contribution * 100)}%)`)
    .join('; ');
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
