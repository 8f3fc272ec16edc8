import type { FlowV1 } from '@netsentry/contracts';
import { trainModel, type Model, type TrainOptions } from './model';
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

export interface RetrainOptions {
  /** Training window in packet time, epoch seconds (the flows given should lie in it). */
  window: { start: number; end: number };
  /** The guard judges the candidate on the flows that started in the last `guardWindowS` of the window. */
  guardWindowS: number;
  /** Largest share of those flows the candidate may flag and still be activated. */
  maxFlaggedFraction: number;
  /** Fewer training flows than this: no candidate (default 16). */
  minFlows?: number;
  /** The running code's feature list (default FLOW_FEATURE_NAMES): a candidate on another list is refused. */
  featureNames?: ScorerOptions['featureNames'];
  train?: Omit<TrainOptions, 'trainingWindow'>;
}

/** What one scheduled retraining decided. */
export type RetrainDecision =
  | { kind: 'no_data'; flows: number; reason: string }
  | {
      kind: 'accept' | 'refuse';
      candidate: Model;
      flows: number;
      guardFlows: number;
      guardWindow: { start: number; end: number };
      flaggedFraction: number;
      maxFlaggedFraction: number;
      reason: string;
    };

/**
 * One scheduled retraining, without storage: trains a candidate on the window's flows and runs
 * the guard on its last part. Never throws for data reasons: too few flows gives `no_data`, a
 * candidate the guard cannot score (another feature list) is refused with the reason.
 */
export function retrainOnWindow(flows: readonly FlowV1[], o: RetrainOptions): RetrainDecision {
  const minFlows = Math.max(2, o.minFlows ?? 16);
  if (flows.length < minFlows) return { kind: 'no_data', flows: flows.length, reason: `${flows.length} flows in the window, fewer than ${minFlows}` };
  const candidate = trainModel(flows, { ...o.train, trainingWindow: o.window });
  const guardWindow = { start: Math.max(o.window.start, o.window.end - o.guardWindowS), end: o.window.end };
  const last: FlowV1[] = [];
  for (const f of flows) if (f.start >= guardWindow.start) last.push(f);
  const base = { candidate, flows: flows.length, guardFlows: last.length, guardWindow, maxFlaggedFraction: o.maxFlaggedFraction };
  let v: RetrainVerdict;
  try {
    v = retrainGuard(candidate, last, o.maxFlaggedFraction, { featureNames: o.featureNames });
  } catch (e) {
    return { ...base, kind: 'refuse', flaggedFraction: 1, reason: (e as Error).message };
  }
  if (last.length === 0) return { ...base, kind: 'refuse', flaggedFraction: 0, reason: 'no flow in the guard window' };
  const pct = (x: number) => (100 * x).toFixed(2) + '%';
  return {
    ...base,
    kind: v.accept ? 'accept' : 'refuse',
    flaggedFraction: v.flaggedFraction,
    reason: `flags ${pct(v.flaggedFraction)} of the last window's ${last.length} flows (${v.accept ? 'at most' : 'more than'} the ${pct(o.maxFlaggedFraction)} allowed)`,
  };
}
