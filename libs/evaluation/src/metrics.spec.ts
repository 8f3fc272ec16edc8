import fc from 'fast-check';
import { averagePrecision, bestF1, rocAuc, type Scored } from './metrics';

const items = (scores: number[], labels: number[]): Scored[] => scores.map((score, i) => ({ score, positive: labels[i] === 1 }));

describe('ranking metrics', () => {
  it('a perfect ranking has AUC 1, AP 1 and best F1 1', () => {
    const xs = items([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0]);
    expect(rocAuc(xs)).toBe(1);
    expect(averagePrecision(xs)).toBe(1);
    expect(bestF1(xs)).toEqual({ f1: 1, threshold: 0.8, precision: 1, recall: 1 });
  });

  it('a reversed ranking has AUC 0', () => {
    const xs = items([0.9, 0.8, 0.3, 0.1], [0, 0, 1, 1]);
    expect(rocAuc(xs)).toBe(0);
    // AP of the worst ranking: recall comes only after both negatives (1/3·½ + 2/4·½).
    expect(averagePrecision(xs)).toBeCloseTo(0.5 * (1 / 3) + 0.5 * (2 / 4), 12);
  });

  it('all scores tied gives AUC 0.5 and AP equal to the positive share', () => {
    const xs = items([0.5, 0.5, 0.5, 0.5, 0.5], [1, 0, 0, 1, 0]);
    expect(rocAuc(xs)).toBe(0.5);
    expect(averagePrecision(xs)).toBeCloseTo(0.4, 12);
    expect(bestF1(xs)!.f1).toBeCloseTo((2 * 0.4 * 1) / 1.4, 12);
  });

  it('matches scikit-learn on a ranking with ties (reference values from sklearn 1.x)', () => {
    // roc_auc_score = 0.8125, average_precision_score = 0.7470238095238095,
    // best F1 from precision_recall_curve = 0.75 at threshold 0.7
    const xs = items([0.9, 0.8, 0.8, 0.7, 0.5, 0.5, 0.4, 0.3, 0.2, 0.1], [1, 0, 1, 1, 0, 0, 1, 0, 0, 0]);
    expect(rocAuc(xs)).toBeCloseTo(0.8125, 12);
    expect(averagePrecision(xs)).toBeCloseTo(0.7470238095238095, 12);
    const b = bestF1(xs)!;
    expect(b.f1).toBeCloseTo(0.75, 12);
    expect(b.threshold).toBe(0.7);
    expect(b.precision).toBeCloseTo(0.75, 12);
    expect(b.recall).toBeCloseTo(0.75, 12);
  });

  it('is undefined (null) without positives or negatives', () => {
    expect(rocAuc(items([0.1, 0.2], [0, 0]))).toBeNull();
    expect(rocAuc(items([0.1, 0.2], [1, 1]))).toBeNull();
    expect(averagePrecision(items([0.1], [0]))).toBeNull();
    expect(bestF1([])).toBeNull();
  });

  it('does not depend on input order', () => {
    const xs = items([0.9, 0.8, 0.8, 0.7, 0.5, 0.5, 0.4, 0.3, 0.2, 0.1], [1, 0, 1, 1, 0, 0, 1, 0, 0, 0]);
    const rev = [...xs].reverse();
    expect(rocAuc(rev)).toBe(rocAuc(xs));
    expect(averagePrecision(rev)).toBe(averagePrecision(xs));
  });

  describe('properties (seeded fast-check)', () => {
    const arb = fc.array(fc.record({ score: fc.integer({ min: 0, max: 20 }).map((x) => x / 20), positive: fc.boolean() }), { minLength: 2, maxLength: 60 });
    const both = (xs: Scored[]) => xs.some((x) => x.positive) && xs.some((x) => !x.positive);

    it('AUC of the negated scores is 1 - AUC, and it stays in [0, 1]', () => {
      fc.assert(
        fc.property(arb.filter(both), (xs) => {
          const a = rocAuc(xs)!;
          const b = rocAuc(xs.map((x) => ({ ...x, score: -x.score })))!;
          return a >= 0 && a <= 1 && Math.abs(a + b - 1) < 1e-12;
        }),
        { seed: 42, numRuns: 300 },
      );
    });

    it('AUC equals the share of positive/negative pairs ranked right (ties half)', () => {
      fc.assert(
        fc.property(arb.filter(both), (xs) => {
          let won = 0;
          let pairs = 0;
          for (const p of xs.filter((x) => x.positive))
            for (const n of xs.filter((x) => !x.positive)) {
              pairs++;
              won += p.score > n.score ? 1 : p.score === n.score ? 0.5 : 0;
            }
          return Math.abs(rocAuc(xs)! - won / pairs) < 1e-12;
        }),
        { seed: 7, numRuns: 300 },
      );
    });

    it('metrics do not change under a strictly increasing transform of the scores', () => {
      fc.assert(
        fc.property(arb.filter(both), (xs) => {
          const ys = xs.map((x) => ({ ...x, score: Math.exp(3 * x.score) + 1 }));
          return rocAuc(xs) === rocAuc(ys) && averagePrecision(xs) === averagePrecision(ys) && bestF1(xs)!.f1 === bestF1(ys)!.f1;
        }),
        { seed: 9, numRuns: 200 },
      );
    });

    it('best F1 is at least the F1 of calling everything an attack, and AP never exceeds 1', () => {
      fc.assert(
        fc.property(arb.filter(both), (xs) => {
          const P = xs.filter((x) => x.positive).length;
          const prec = P / xs.length;
          const f1All = (2 * prec) / (prec + 1);
          return bestF1(xs)!.f1 >= f1All - 1e-12 && averagePrecision(xs)! <= 1 + 1e-12;
        }),
        { seed: 11, numRuns: 200 },
      );
    });
  });
});
