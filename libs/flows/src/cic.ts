/**
 * CICFlowMeter-V4 CSV layout (column names and order of its FlowFeature enum) for
 * `--features cic`. Identity columns come from the FlowV1 record, the numeric columns from
 * FlowV1.features under the same names.
 */
import type { FlowV1 } from '@netsentry/contracts';

/** CICFlowMeter's CSV header, in order (84 columns). */
export const CIC_COLUMNS = [
  'Flow ID', 'Src IP', 'Src Port', 'Dst IP', 'Dst Port', 'Protocol', 'Timestamp',
  'Flow Duration', 'Total Fwd Packet', 'Total Bwd packets', 'Total Length of Fwd Packet',
  'Total Length of Bwd Packet', 'Fwd Packet Length Max', 'Fwd Packet Length Min', 'Fwd Packet Length Mean',
  'Fwd Packet Length Std', 'Bwd Packet Length Max', 'Bwd Packet Length Min', 'Bwd Packet Length Mean',
  'Bwd Packet Length Std', 'Flow Bytes/s', 'Flow Packets/s', 'Flow IAT Mean', 'Flow IAT Std', 'Flow IAT Max',
  'Flow IAT Min', 'Fwd IAT Total', 'Fwd IAT Mean', 'Fwd IAT Std', 'Fwd IAT Max', 'Fwd IAT Min', 'Bwd IAT Total',
  'Bwd IAT Mean', 'Bwd IAT Std', 'Bwd IAT Max', 'Bwd IAT Min', 'Fwd PSH Flags', 'Bwd PSH Flags', 'Fwd URG Flags',
  'Bwd URG Flags', 'Fwd Header Length', 'Bwd Header Length', 'Fwd Packets/s', 'Bwd Packets/s', 'Packet Length Min',
  'Packet Length Max', 'Packet Length Mean', 'Packet Length Std', 'Packet Length Variance', 'FIN Flag Count',
  'SYN Flag Count', 'RST Flag Count', 'PSH Flag Count', 'ACK Flag Count', 'URG Flag Count', 'CWR Flag Count',
  'ECE Flag Count', 'Down/Up Ratio', 'Average Packet Size', 'Fwd Segment Size Avg', 'Bwd Segment Size Avg',
  'Fwd Bytes/Bulk Avg', 'Fwd Packet/Bulk Avg', 'Fwd Bulk Rate Avg', 'Bwd Bytes/Bulk Avg', 'Bwd Packet/Bulk Avg',
  'Bwd Bulk Rate Avg', 'Subflow Fwd Packets', 'Subflow Fwd Bytes', 'Subflow Bwd Packets', 'Subflow Bwd Bytes',
  'FWD Init Win Bytes', 'Bwd Init Win Bytes', 'Fwd Act Data Pkts', 'Fwd Seg Size Min', 'Active Mean', 'Active Std',
  'Active Max', 'Active Min', 'Idle Mean', 'Idle Std', 'Idle Max', 'Idle Min', 'Label',
] as const;

export type CicColumn = (typeof CIC_COLUMNS)[number];

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** CICFlowMeter's timestamp text, `dd/MM/yyyy hh:mm:ss a` (UTC here, for reproducibility). */
export function cicTimestamp(epochS: number): string {
  const d = new Date(Math.floor(epochS * 1000));
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ` +
    `${two(h12)}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

/** One CSV row in CIC_COLUMNS order. `label` fills the last column (CICFlowMeter writes NeedManualLabel). */
export function toCicRow(flow: FlowV1, label = 'NeedManualLabel'): (string | number)[] {
  const row: (string | number)[] = new Array(CIC_COLUMNS.length);
  row[0] = `${flow.srcIp}-${flow.dstIp}-${flow.srcPort}-${flow.dstPort}-${flow.proto}`;
  row[1] = flow.srcIp;
  row[2] = flow.srcPort;
  row[3] = flow.dstIp;
  row[4] = flow.dstPort;
  row[5] = flow.proto;
  row[6] = cicTimestamp(flow.start);
  for (let i = 7; i < CIC_COLUMNS.length - 1; i++) row[i] = flow.features[CIC_COLUMNS[i]] ?? 0;
  row[CIC_COLUMNS.length - 1] = label;
  return row;
}

/** CSV text of one row (fields with a comma or quote are quoted). */
export function cicCsvLine(row: readonly (string | number)[]): string {
  return row.map((v) => {
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  }).join(',');
}
