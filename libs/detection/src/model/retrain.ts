import type { FlowV1 } from '@netsentry/contracts';
import type { Model } from './model';
import { Scorer, type ScorerOptions } from './scorer';

export interface RetrainVerdict {
  /** True when the candidate flags at most maxFlaggedFraction of the last window. */
  accept: boolean;
  /** Share of the window's flows the candidate scores above its threshold. */
  flaggedFraction: number;
}

/**
 * Guard for scheduled retraining: a candidate is activated only if, on the most recent window
 * of flows, it does not flag more than `maxFlaggedFraction` of them (a model trained on a
 * polluted or unrepresentative baseline flags too much). An empty window is rejected: there is
 * nothing to judge the candidate on.
 */
export function retrainGuard(
  candidate: Model,
  lastWindow: readonly FlowV1[],
  maxFlaggedFraction: number,
  opts: Pick<ScorerOptions, 'featureNames'> = {},
): RetrainVerdict {
  if (lastWindow.length === 0) return { accept: false, flaggedFraction: 0 };
  const scorer = new Scorer(candidate, opts);
  const x = scorer.toMatrix(lastWindow);
  const scores = scorer.scoreMatrix(x, lastWindow.length);
  let flagged = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i] > candidate.threshold) flagged++;
  const flaggedFraction = flagged / lastWindow.length;
  return { accept: flaggedFraction <= maxFlaggedFraction, flaggedFraction };
}
