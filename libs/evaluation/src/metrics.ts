/**
 * Ranking metrics over scored, labelled items (higher score = more likely an attack). Pure.
 * Ties are handled exactly: tied scores form one threshold, and the AUC counts a tied
 * positive/negative pair as one half (Mann-Whitney U with average ranks).
 */

export interface Scored {
  score: number;
  positive: boolean;
}

export interface BestF1 {
  f1: number;
  /** Items with score >= threshold are called attacks. */
  threshold: number;
  precision: number;
  recall: number;
}

/** Groups of equal scores in descending order: counts of positives and negatives per score. */
function thresholds(items: readonly Scored[]): Array<{ score: number; pos: number; neg: number }> {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const out: Array<{ score: number; pos: number; neg: number }> = [];
  for (const it of sorted) {
    const last = out[out.length - 1];
    if (last && last.score === it.score) it.positive ? last.pos++ : last.neg++;
    else out.push({ score: it.score, pos: it.positive ? 1 : 0, neg: it.positive ? 0 : 1 });
  }
  return out;
}

/** Area under the ROC curve; null when there is no positive or no negative. */
export function rocAuc(items: readonly Scored[]): number | null {
  let P = 0;
  let N = 0;
  for (const it of items) it.positive ? P++ : N++;
  if (P === 0 || N === 0) return null;
  // Walk from the highest score: each positive beats every negative below it, ties count half.
  let negBelow = N;
  let u = 0;
  for (const g of thresholds(items)) {
    negBelow -= g.neg;
    u += g.pos * negBelow + g.pos * g.neg * 0.5;
  }
  return u / (P * N);
}

/**
 * Average precision as in scikit-learn: sum over thresholds of (recall gain) x precision.
 * Null when there is no positive.
 */
export function averagePrecision(items: readonly Scored[]): number | null {
  let P = 0;
  for (const it of items) if (it.positive) P++;
  if (P === 0) return null;
  let tp = 0;
  let fp = 0;
  let ap = 0;
  for (const g of thresholds(items)) {
    tp += g.pos;
    fp += g.neg;
    ap += (g.pos / P) * (tp / (tp + fp));
  }
  return ap;
}

/** The threshold with the best F1; null when there is no positive. */
export function bestF1(items: readonly Scored[]): BestF1 | null {
  let P = 0;
  for (const it of items) if (it.positive) P++;
  if (P === 0) return null;
  let tp = 0;
  let fp = 0;
  let best: BestF1 = { f1: 0, threshold: Infinity, precision: 0, recall: 0 };
  for (const g of thresholds(items)) {
    tp += g.pos;
    fp += g.neg;
    const precision = tp / (tp + fp);
    const recall = tp / P;
    const f1 = tp === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    if (f1 > best.f1) best = { f1, threshold: g.score, precision, recall };
  }
  return best;
}
