import { itIf } from '@netsentry/testing';
import { Prng } from './prng';
import { compileForest, fitForest, scoreRowsInto, SCORE_BLOCK_ROWS } from './isolation-forest';
import { findSklearnPython, runSklearn } from './sklearn';
import { rocAuc, spearman } from '../model/stats';

const python = findSklearnPython();
const withSklearn = itIf(python !== null, 'python3 cannot import sklearn (apt-get install python3-sklearn)');

/** Two Gaussian clusters in 10 dimensions plus 2 % scattered outliers (labelled 1). */
function dataset(n: number, seed: number): { x: Float64Array; labels: Uint8Array } {
  const d = 10;
  const rng = new Prng(seed);
  const gauss = (): number => (rng.nextFloat() + rng.nextFloat() + rng.nextFloat() + rng.nextFloat() - 2) * 1.7;
  const x = new Float64Array(n * d);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const outlier = rng.nextFloat() < 0.02;
    labels[i] = outlier ? 1 : 0;
    const centre = rng.nextFloat() < 0.6 ? 0 : 5;
    for (let j = 0; j < d; j++) x[i * d + j] = outlier ? -8 + 21 * rng.nextFloat() : centre + gauss() * (1 + j / 10);
  }
  return { x, labels };
}

function ourScores(x: Float64Array, n: number, d: number, seed: number): Float64Array {
  const layout = compileForest(fitForest(x, n, d, { nEstimators: 100, maxSamples: 256, seed }));
  const out = new Float64Array(n);
  scoreRowsInto(layout, x, 0, n, out, new Float64Array(SCORE_BLOCK_ROWS));
  return out;
}

describe('Isolation Forest against scikit-learn (same data, same parameters)', () => {
  withSklearn('ranks heavy-tailed rows like sklearn score_samples: Spearman ≥ 0.9', () => {
    // Laplace-distributed columns: heavy tails like traffic counts, so the ranking has signal
    const n = 6000;
    const d = 6;
    const rng = new Prng(21);
    const x = Float64Array.from({ length: n * d }, () => (rng.nextFloat() < 0.5 ? -1 : 1) * Math.log(1 - rng.nextFloat()));
    const ours = ourScores(x, n, d, 4);
    const sk = runSklearn(python as string, x, n, x, n, d, { nEstimators: 100, maxSamples: 256, seed: [4, 5] });
    const rho = spearman(ours, sk.perSeed[0]);
    expect(rho).toBeGreaterThanOrEqual(0.9);
    // and as close to sklearn as sklearn is to itself under another seed (Monte Carlo noise)
    expect(rho).toBeGreaterThanOrEqual(spearman(sk.perSeed[0], sk.perSeed[1]) - 0.03);
    // same scale: both are 2^(−E[h]/c(256)); means agree closely
    const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean(ours) - mean(sk.scores))).toBeLessThan(0.01);
  });

  withSklearn('finds labelled outliers in clustered data like sklearn: ROC AUC within 0.02', () => {
    const n = 6000;
    const d = 10;
    const { x, labels } = dataset(n, 21);
    const ours = ourScores(x, n, d, 4);
    const sk = runSklearn(python as string, x, n, x, n, d, { nEstimators: 100, maxSamples: 256, seed: [4, 5] });
    const aucOurs = rocAuc(ours, labels);
    const aucSk = rocAuc(sk.scores, labels);
    expect(aucOurs).toBeGreaterThan(0.9); // the outliers are easy: both must find them
    expect(Math.abs(aucOurs - aucSk)).toBeLessThanOrEqual(0.02);
    // inside dense clusters the ranking is mostly Monte Carlo noise: sklearn agrees with itself
    // under another seed only to ~0.87 here; ours must agree with it as well as that
    expect(spearman(ours, sk.perSeed[0])).toBeGreaterThanOrEqual(spearman(sk.perSeed[0], sk.perSeed[1]) - 0.03);
  });
});
