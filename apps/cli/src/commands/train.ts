import { writeFileSync } from 'node:fs';
import type { FlowV1 } from '@netsentry/contracts';
import { trainModel } from '@netsentry/detection';
import { CliError } from '../errors';
import { meterFiles } from '../meter';
import { MIN_TRAIN_FLOWS } from '../pipeline';

export interface TrainOptions {
  files: string[];
  out: string;
  sensor: string;
  contamination?: number | 'auto';
  seed?: number;
  nEstimators?: number;
  maxSamples?: number;
  quiet?: boolean;
  print?: (s: string) => void;
}

/** train: flows of baseline (normal) captures → Isolation Forest → model.json. */
export async function runTrain(o: TrainOptions): Promise<{ flows: number; modelId: string }> {
  const print = o.print ?? ((s: string) => process.stdout.write(s + '\n'));
  const flows: FlowV1[] = [];
  const res = await meterFiles(o.files, o.sensor, (f) => flows.push(f), { label: 'train', quiet: o.quiet });
  if (flows.length < MIN_TRAIN_FLOWS)
    throw new CliError('CLI.USAGE', `${o.files.join(', ')}: only ${flows.length} flows; a model needs at least ${MIN_TRAIN_FLOWS} flows of normal traffic`);
  let start = Infinity;
  let end = 0;
  for (const f of flows) {
    if (f.start < start) start = f.start;
    if (f.end > end) end = f.end;
  }
  const model = trainModel(flows, {
    contamination: o.contamination,
    seed: o.seed,
    nEstimators: o.nEstimators,
    maxSamples: o.maxSamples,
    trainingWindow: { start, end },
  });
  try {
    writeFileSync(o.out, JSON.stringify(model.toJSON()) + '\n');
  } catch (e) {
    throw new CliError('CLI.OUTPUT', `${o.out}: cannot write model: ${(e as Error).message}`);
  }
  print(`trained model ${model.id} on ${flows.length} flows (${res.packets} packets from ${o.files.length} file(s)); wrote ${o.out}`);
  return { flows: flows.length, modelId: model.id };
}
