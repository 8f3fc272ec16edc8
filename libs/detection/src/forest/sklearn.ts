import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Runs scikit-learn's IsolationForest (sklearn_iforest.py) on the same matrices, for the
 * comparison spec and the benchmark. Not part of the product: nothing in the scoring path
 * depends on python.
 */

/** A python3 that can import sklearn: `python3` on PATH first, then Debian's /usr/bin/python3. */
export function findSklearnPython(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import sklearn, numpy'], { stdio: 'ignore', timeout: 60_000 });
    if (r.status === 0) return py;
  }
  return null;
}

export interface SklearnRun {
  /** −score_samples per test row (higher = more anomalous, like ours), of the first seed's forest. */
  scores: Float64Array;
  /** The same for each seed, in the order given. */
  perSeed: Float64Array[];
  fitSeconds: number;
  /** Best score_samples time over the repeats, timed inside python. */
  scoreSeconds: number;
  version: string;
}

export function runSklearn(
  python: string,
  train: Float64Array,
  nTrain: number,
  test: Float64Array,
  nTest: number,
  nCols: number,
  params: { nEstimators: number; maxSamples: number; seed: number | readonly number[]; repeats?: number },
): SklearnRun {
  const dir = mkdtempSync(join(tmpdir(), 'netsentry-sklearn-'));
  try {
    const trainPath = join(dir, 'train.f64');
    const testPath = join(dir, 'test.f64');
    const outPath = join(dir, 'out.f64');
    writeFileSync(trainPath, le64(train.subarray(0, nTrain * nCols)));
    writeFileSync(testPath, le64(test.subarray(0, nTest * nCols)));
    const stdout = execFileSync(
      python,
      [resolve(__dirname, 'sklearn_iforest.py'), trainPath, String(nTrain), testPath, String(nTest), String(nCols),
        String(params.nEstimators), String(params.maxSamples), String(typeof params.seed === 'number' ? params.seed : params.seed.join(',')), outPath, String(params.repeats ?? 1)],
      { encoding: 'utf8', timeout: 300_000, env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' } },
    );
    const info = JSON.parse(stdout.trim().split('\n').pop() as string) as { fit_s: number; score_s: number; sklearn: string };
    const bytes = readFileSync(outPath);
    const nSeeds = typeof params.seed === 'number' ? 1 : params.seed.length;
    const perSeed: Float64Array[] = [];
    for (let k = 0; k < nSeeds; k++) {
      const s = new Float64Array(nTest);
      for (let i = 0; i < nTest; i++) s[i] = bytes.readDoubleLE((k * nTest + i) * 8);
      perSeed.push(s);
    }
    return { scores: perSeed[0], perSeed, fitSeconds: info.fit_s, scoreSeconds: info.score_s, version: info.sklearn };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function le64(a: Float64Array): Buffer {
  const b = Buffer.alloc(a.length * 8);
  for (let i = 0; i < a.length; i++) b.writeDoubleLE(a[i], i * 8);
  return b;
}
