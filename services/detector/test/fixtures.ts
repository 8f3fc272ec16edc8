import type { FlowV1 } from '@netsentry/contracts';
import type { Model } from '@netsentry/detection';
import { FlowTable } from '@netsentry/flows';
import { readCaptureFile } from '@netsentry/packets';
import { activateModel, saveModel } from '@netsentry/storage';
import type { DataSource } from 'typeorm';
import { modelRecord } from '../src/model.record';

/** Every flow of a capture, as the aggregator of sensor `sensor` would publish it. */
export async function flowsOf(file: string, sensor: string): Promise<FlowV1[]> {
  const out: FlowV1[] = [];
  const t = new FlowTable({ sensor }, (f) => out.push(f));
  await readCaptureFile(file, (r) => void t.add(r));
  t.flush();
  return out;
}

/** Stores a trained model for `group` and activates it; the activation must succeed. */
export async function registerActive(ds: DataSource, m: Model, group = 'default'): Promise<void> {
  await saveModel(ds, modelRecord(m, { sensorGroup: group }));
  const r = await activateModel(ds, m.id);
  if (!r.ok) throw new Error(`activating model ${m.id}: ${r.code}`);
}
