import type { FlowV1 } from '@netsentry/contracts';
import { readCaptureFile } from '@netsentry/packets';
import { FlowTable } from '@netsentry/flows';

/**
 * Flows of a capture file, in export order: the baseline a model is trained from when the
 * baseline is a capture ("train from a capture file"), with the flow table's defaults.
 */
export async function flowsFromCapture(path: string, sensor = 'capture'): Promise<FlowV1[]> {
  const flows: FlowV1[] = [];
  const table = new FlowTable({ sensor }, (f) => flows.push(f));
  const summary = await readCaptureFile(path, (rec) => {
    table.add(rec);
  });
  table.flush();
  if (summary.error && flows.length === 0) throw new Error(`${path}: ${summary.error.code}`);
  return flows;
}
