import { extname } from 'node:path';
import { usageError } from '../errors';
import { checkCaptureFile } from '../inputs';
import { meterFiles } from '../meter';
import { FlowWriter, type FlowFeatureSet, type FlowFormat } from '../output/records';
import { LineSink } from '../output/sink';

export interface FlowsOptions {
  files: string[];
  out?: string;
  format?: FlowFormat;
  features: FlowFeatureSet;
  sensor: string;
  quiet?: boolean;
  note?: (s: string) => void;
}

/** flows: a flow meter, one row per flow with every feature (csv or jsonl; native or CICFlowMeter columns). */
export async function runFlows(o: FlowsOptions): Promise<{ flows: number }> {
  let format = o.format;
  if (!format) {
    const ext = o.out ? extname(o.out).toLowerCase() : '';
    format = ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : 'csv';
  }
  if (format !== 'csv' && format !== 'jsonl') throw usageError(`--format: '${String(format)}' must be csv or jsonl`);
  o.files.forEach(checkCaptureFile); // fail before creating the output
  const sink = o.out && o.out !== '-' ? LineSink.file(o.out) : LineSink.stdout();
  const writer = new FlowWriter(sink, format, o.features);
  try {
    const res = await meterFiles(o.files, o.sensor, (f) => writer.write(f), { label: 'flows', quiet: o.quiet || !o.out, note: o.note });
    if (o.out && o.out !== '-' && !o.quiet) (o.note ?? ((s) => process.stderr.write(s + '\n')))(`wrote ${res.flows} flows to ${o.out}`);
    return { flows: res.flows };
  } finally {
    writer.close();
  }
}
