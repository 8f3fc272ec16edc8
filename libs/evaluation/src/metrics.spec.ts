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
});
