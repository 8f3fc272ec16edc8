/**
 * Isolation Forest benchmark: scoring rows/s on one core (100 trees, 256-row subsamples, the
 * real flow feature set) beside scikit-learn's score_samples on the same rows in the same run,
 * training time, the worker-thread mode, and end-to-end Scorer throughput from FlowV1 records.
 * Rows are real flows from ../shared/data/pcaps (decoded by @netsentry/packets, aggregated by
 * the @netsentry/flows FlowTable), tiled to BENCH_FOREST_ROWS rows (default 200 000).
 * Prints a markdown table; figures are recorded in docs/bench/forest.md.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ATTACK_CAPTURES,
  BENIGN_CAPTURES,
  fitForest,
  findSklearnPython,
  flowsFromCapture,
  ForestWorkerPool,
  runSklearn,
  SCORE_BLOCK_ROWS,
  scoreRowsInto,
  Scorer,
  trainModel,
} from '@netsentry/detection';
import type { FlowV1 } from '@netsentry/contracts';

const PCAPS = resolve(__dirname, '../../shared/data/pcaps');
const ROWS = Number(process.env.BENCH_FOREST_ROWS ?? 200_000);
const REPEATS = 5;

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const secs = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;
/** CPU seconds of this process (all threads) so far: on a shared machine, rows per CPU-second
 * shows what the code does when it gets the core, wall-clock rows/s what it got in this run. */
const cpuSecs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function main(): Promise<void> {
  if (!existsSync(resolve(PCAPS, 'index.json'))) {
    console.log(`skipped: shared captures not found at ${PCAPS}`);
    return;
  }
  // Real flows: every benign capture and every attack capture (all their flows).
  const flows: FlowV1[] = [];
  let t0 = process.hrtime.bigint();
  for (const f of [...BENIGN_CAPTURES, ...ATTACK_CAPTURES]) flows.push(...(await flowsFromCapture(resolve(PCAPS, f), 'bench')));
  const loadS = secs(t0);

  // Training: the whole model (feature pipeline, forest, threshold, explanation baselines).
  const trainTimes: number[] = [];
  const trainCpu: number[] = [];
  let model = trainModel(flows, { seed: 1 });
  for (let i = 0; i < 3; i++) {
    const c0 = cpuSecs();
    t0 = process.hrtime.bigint();
    model = trainModel(flows, { seed: 1 + i });
    trainTimes.push(secs(t0));
    trainCpu.push(cpuSecs() - c0);
  }
  const scorer = new Scorer(model);
  const nCols = model.columns.length;
  const base = scorer.toMatrix(flows);
  // Tile the real rows to ROWS rows.
  const x = new Float64Array(ROWS * nCols);
  for (let r = 0; r < ROWS; r++) x.set(base.subarray((r % flows.length) * nCols, (r % flows.length + 1) * nCols), r * nCols);

  // Forest only, on the matrix (as sklearn's fit on a ready matrix).
  const fitTimes: number[] = [];
  const fitCpu: number[] = [];
  for (let i = 0; i < 3; i++) {
    const c0 = cpuSecs();
    t0 = process.hrtime.bigint();
    fitForest(base, flows.length, nCols, { nEstimators: 100, maxSamples: 256, seed: 1 + i });
    fitTimes.push(secs(t0));
    fitCpu.push(cpuSecs() - c0);
  }

  // One core.
  const out = new Float64Array(ROWS);
  const acc = new Float64Array(SCORE_BLOCK_ROWS);
  scoreRowsInto(model.layout, x, 0, Math.min(ROWS, 20_000), out, acc); // warm-up (JIT)
  const single: number[] = [];
  const singleCpu: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const c0 = cpuSecs();
    t0 = process.hrtime.bigint();
    scoreRowsInto(model.layout, x, 0, ROWS, out, acc);
    single.push(ROWS / secs(t0));
    singleCpu.push(ROWS / (cpuSecs() - c0));
  }

  // Worker threads: every core.
  const threads = availableParallelism();
  const pool = ForestWorkerPool.create(model.layout, threads);
  const shared = new Float64Array(new SharedArrayBuffer(x.byteLength));
  shared.set(x);
  await pool.score(shared, ROWS); // warm-up
  const multi: number[] = [];
  const multiCpu: number[] = [];
  let same = true;
  for (let i = 0; i < REPEATS; i++) {
    const c0 = cpuSecs();
    t0 = process.hrtime.bigint();
    const s = await pool.score(shared, ROWS);
    multi.push(ROWS / secs(t0));
    multiCpu.push(ROWS / (cpuSecs() - c0));
    if (i === 0) for (let r = 0; r < ROWS; r++) if (s[r] !== out[r]) same = false;
  }
  await pool.close();

  // End to end from FlowV1 records: feature pipeline + scoring + explanations of anomalies.
  const e2eFlows = Array.from({ length: Math.min(ROWS, 50_000) }, (_, i) => flows[i % flows.length]);
  scorer.scoreBatch(e2eFlows.slice(0, 5000));
  const e2e: number[] = [];
  const e2eCpu: number[] = [];
  let anomalous = 0;
  for (let i = 0; i < 3; i++) {
    const c0 = cpuSecs();
    t0 = process.hrtime.bigint();
    const r = scorer.scoreBatch(e2eFlows);
    e2e.push(e2eFlows.length / secs(t0));
    e2eCpu.push(e2eFlows.length / (cpuSecs() - c0));
    anomalous = r.filter((v) => v.anomalous).length;
  }

  // scikit-learn on the same rows, timed inside python (best of 3 score_samples calls).
  const py = findSklearnPython();
  let sk: { rowsPerS: number; fitS: number; version: string } | null = null;
  if (py) {
    const run = runSklearn(py, base, flows.length, x, ROWS, nCols, { nEstimators: 100, maxSamples: 256, seed: 1, repeats: 3 });
    sk = { rowsPerS: ROWS / run.scoreSeconds, fitS: run.fitSeconds, version: run.version };
  }

  const oneCore = median(single);
  console.log(`Rows: ${fmt(ROWS)} = ${fmt(flows.length)} real flows tiled (loaded in ${loadS.toFixed(1)} s), ${nCols} model columns (${model.featureNames.length} flow features + 4 encoded categorical), 100 trees, 256-row subsamples, height limit ${model.forest.heightLimit}, ${fmt(model.forest.feature.length)} nodes.`);
  console.log(`Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${threads} cores available, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end of the run (other work on the machine slows every figure).`);
  console.log('');
  console.log('| measure | value |');
  console.log('|---|---|');
  console.log(`| scoring, one core, wall clock, median of ${REPEATS} (best) | ${fmt(oneCore)} rows/s (${fmt(Math.max(...single))}) |`);
  console.log(`| scoring, one core, per CPU-second, median of ${REPEATS} | ${fmt(median(singleCpu))} rows/s |`);
  console.log(`| scoring, worker threads (${threads}), wall clock, median of ${REPEATS} (best) | ${fmt(median(multi))} rows/s (${fmt(Math.max(...multi))}); identical scores: ${same ? 'yes' : 'NO'} |`);
  console.log(`| scoring, worker threads, per CPU-second of all threads, median | ${fmt(median(multiCpu))} rows/s |`);
  if (sk) {
    console.log(`| scikit-learn ${sk.version} score_samples, same rows, best of 3 | ${fmt(sk.rowsPerS)} rows/s |`);
    console.log(`| ours (one core) / scikit-learn | ${(oneCore / sk.rowsPerS).toFixed(1)}× |`);
    console.log(`| scikit-learn fit (same ${fmt(flows.length)} rows) | ${(sk.fitS * 1000).toFixed(0)} ms |`);
  } else {
    console.log('| scikit-learn | skipped: python3 cannot import sklearn |');
  }
  console.log(`| fitForest on the ${fmt(flows.length)}-row matrix, median of 3: wall (CPU) | ${(median(fitTimes) * 1000).toFixed(1)} ms (${(median(fitCpu) * 1000).toFixed(1)} ms) |`);
  console.log(`| trainModel from ${fmt(flows.length)} FlowV1 (pipeline + forest + threshold + baselines), median of 3: wall (CPU) | ${(median(trainTimes) * 1000).toFixed(0)} ms (${(median(trainCpu) * 1000).toFixed(0)} ms) |`);
  console.log(`| Scorer.scoreBatch from FlowV1 (pipeline + score + explanations; ${((100 * anomalous) / e2eFlows.length).toFixed(0)} % anomalous), median of 3: wall (per CPU-second) | ${fmt(median(e2e))} flows/s (${fmt(median(e2eCpu))}) |`);
  console.log(`| model JSON size | ${fmt(JSON.stringify(model.toJSON()).length)} bytes |`);
  const pass = oneCore >= 250_000 && (!sk || oneCore >= 5 * sk.rowsPerS);
  console.log('');
  console.log(`Targets (≥ 250 000 rows/s on one core by the wall clock, ≥ 5× scikit-learn): ${pass ? 'met' : 'NOT met'} in this run.`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
