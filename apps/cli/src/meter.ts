import type { FlowV1 } from '@netsentry/contracts';
import { FlowTable } from '@netsentry/flows';
import type { PacketRecord } from '@netsentry/packets';
import { readFiles, type FileRunResult } from './sources';

/**
 * Flows only (train, flows, hosts): the flow table with the same one-second packet-time
 * watermark as the full pipeline, so these commands export exactly the flows `analyze` does.
 */
export async function meterFiles(
  files: string[],
  sensor: string,
  onFlow: (f: FlowV1) => void,
  opts: { label: string; quiet?: boolean; note?: (s: string) => void },
): Promise<FileRunResult & { flows: number }> {
  let flows = 0;
  const table = new FlowTable({ sensor }, (f) => {
    flows++;
    onFlow(f);
  });
  let next = -1;
  const push = (rec: PacketRecord): void => {
    const ts = rec.tsUs;
    if (ts >= next) {
      if (next >= 0) table.advance(ts);
      next = ts - (ts % 1_000_000) + 1_000_000;
    }
    table.add(rec);
  };
  const res = await readFiles(files, push, { label: opts.label, quiet: opts.quiet });
  table.flush();
  const note = opts.note ?? ((s: string) => process.stderr.write(s + '\n'));
  for (const w of res.warnings) note(w);
  return { ...res, flows };
}
