/**
 * Scheduled retraining cost against the real PostgreSQL (a throw-away netsentry_test_* database):
 * the lab's real flows (data/samples baseline + attacks, replicated with fresh ids and shifted
 * times up to BENCH_RETRAIN_FLOWS, default 200 000 = DETECTOR_RETRAIN_MAX_ROWS) are stored, then
 * one retraining run is timed in its parts: loadTrainingWindow (SELECT + FlowV1 validation),
 * retrainOnWindow (train + guard), and the whole retrainFromStore (also stores the candidate and
 * activates it). Wall and CPU time of this process (PostgreSQL's own CPU is not included).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { FlowV1 } from '@netsentry/contracts';
import { retrainOnWindow } from '@netsentry/detection';
import { FlowTable, FLOW_FEATURE_NAMES } from '@netsentry/flows';
import { REPO_ROOT } from '@netsentry/messaging';
import { readCaptureFile } from '@netsentry/packets';
import { createDataSource, loadTrainingWindow, migrateDatabase, storeFlows } from '@netsentry/storage';
import { createTestDatabase } from '@netsentry/testing';
import { readDetectorConfig } from '../services/detector/src/config';
import { retrainFromStore } from '../services/detector/src/retrain.scheduler';

const N = Number(process.env.BENCH_RETRAIN_FLOWS ?? 200_000);

async function flowsOf(file: string): Promise<FlowV1[]> {
  const out: FlowV1[] = [];
  const t = new FlowTable({ sensor: 'bench' }, (f) => out.push(f));
  await readCaptureFile(file, (r) => void t.add(r));
  t.flush();
  return out;
}

async function measure<T>(fn: () => Promise<T> | T): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { value, wall, cpu: (c.user + c.system) / 1e6 };
}

async function main(): Promise<void> {
  const real = [...(await flowsOf(join(REPO_ROOT, 'data/samples/baseline.pcap'))), ...(await flowsOf(join(REPO_ROOT, 'data/samples/attacks.pcap')))];
  const span = 1200; // both samples lie within 20 minutes
  const flows: FlowV1[] = [];
  for (let copy = 0; flows.length < N; copy++) {
    for (const f of real) {
      if (flows.length >= N) break;
      flows.push({ ...f, id: `${f.id}-${copy}`, start: f.start + copy * span, end: f.end + copy * span });
    }
  }
  const db = await createTestDatabase({ migrate: migrateDatabase });
  const ds = await createDataSource({ url: db.url, poolSize: 2 }).initialize();
  const rows: string[] = [];
  const row = (what: string, n: number, m: { wall: number; cpu: number }) =>
    rows.push(`| ${what} | ${n.toLocaleString('en')} | ${m.wall.toFixed(2)} | ${m.cpu.toFixed(2)} | ${Math.round(n / m.cpu).toLocaleString('en')} |`);
  try {
    for (let i = 0; i < flows.length; i += 5000) await storeFlows(ds, flows.slice(i, i + 5000));
    const cfg = readDetectorConfig({ DATABASE_URL: db.url });
    if (!cfg.ok) throw new Error(cfg.message);
    const c = cfg.config;
    const load = await measure(() => loadTrainingWindow(ds, { windowS: c.retrainWindowS, maxRows: c.retrainMaxRows }));
    row('loadTrainingWindow (SELECT, FlowV1 check)', load.value.flows.length, load);
    const w = load.value;
    // The FlowV1 check alone, on the same rows: its share of the load step.
    const check = await measure(() => {
      let ok = 0;
      for (const f of w.flows) if (FlowV1.safeParse(f).success) ok++;
      return ok;
    });
    row('of which the FlowV1 check (zod), measured alone', w.flows.length, check);
    const train = await measure(() =>
      retrainOnWindow(w.flows, {
        window: { start: w.start, end: w.end },
        guardWindowS: c.retrainGuardWindowS,
        maxFlaggedFraction: c.retrainMaxFlagged,
        minFlows: c.retrainMinFlows,
        featureNames: FLOW_FEATURE_NAMES,
        train: { contamination: c.retrainContamination, maxTrainingRows: c.retrainMaxRows },
      }),
    );
    row(`retrainOnWindow (train + guard: ${train.value.kind})`, w.flows.length, train);
    const whole = await measure(() => retrainFromStore(ds, { ...c, group: 'bench' }));
    row(`retrainFromStore, whole run (${whole.value.decision})`, whole.value.flows ?? 0, whole);
    const l = loadavg();
    console.log(`Stored flows: ${flows.length.toLocaleString('en')} (lab samples replicated), default settings (24 h window, 1 h guard, contamination 0.01, max rows 100 000). Load average ${l.map((x) => x.toFixed(2)).join(' ')}.`);
    console.log('');
    console.log('| step | flows | wall s | CPU s (this process) | flows per CPU-second |');
    console.log('|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    await ds.destroy();
    await db.drop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
