import type { AnomalyV1, FlowV1 } from '@netsentry/contracts';
import { FLOW_FEATURE_NAMES } from '@netsentry/flows';
import { Model, Scorer, toAnomaly, trainModel, type ScoreResult } from '@netsentry/detection';

/**
 * The model side of the pipeline: scores every finished flow with the given model, or holds
 * the flows back until `train()` fits a model on them (train-on-first-part) and then scores
 * them. When to train is the packet side's decision (Pipeline.maybeTrain); this class only
 * does it, so the same sequence of flows and training point gives the same model, scores and
 * anomalies whether it runs on the main thread or in the analyze worker.
 */
export interface FlowScoringOptions {
  /** A trained model; when absent, flows are held until train(). */
  model?: Model;
  /** At most this many held flows are used for training. Default 100 000. */
  maxTrainFlows?: number;
  seed?: number;
  contamination?: number | 'auto';
  onScored?: (flow: FlowV1, score: number) => void;
  onAnomaly?: (anomaly: AnomalyV1, flow: FlowV1) => void;
  onTrained?: (info: TrainedInfo) => void;
  /**
   * Score flows in blocks of this many (Scorer.scoreBatch: one pass of the forest per block, the
   * same scores and explanations as one at a time) and report them when the block is full or at
   * flush(). Default 1 (each flow at once): live capture reports anomalies as flows end.
   */
  batch?: number;
}

export interface TrainedInfo {
  model: Model;
  flows: number;
  /** Packet time up to which the training flows reach, epoch seconds. */
  untilTs: number;
  /** Fraction of the input read when training happened (1 = whole input). */
  inputFraction: number;
  /** Set when there were too few flows to train: nothing is scored. */
  skippedReason?: string;
}

/** Smallest number of flows a model is trained on; below it anomalies are not scored. */
export const MIN_TRAIN_FLOWS = 16;
// (pipeline.ts has the same constant for callers that must not load this module: keep them equal.)

export class FlowScoring {
  anomalies = 0;
  private scorer: Scorer | null = null;
  private model: Model | null;
  /** Flows held back until a model is trained (train-on-first-part). */
  private pending: FlowV1[] | null = null;
  private trainingDone = false;
  private readonly batch: number;
  /** Flows waiting for the next block (batch > 1). */
  private block: FlowV1[] = [];

  constructor(private readonly opts: FlowScoringOptions) {
    this.batch = Math.max(1, opts.batch ?? 1);
    this.model = opts.model ?? null;
    if (this.model) this.scorer = new Scorer(this.model, { featureNames: FLOW_FEATURE_NAMES });
    else this.pending = [];
  }

  get modelInUse(): Model | null {
    return this.model;
  }

  /** True while flows are held for a model not yet trained. */
  get awaitingTraining(): boolean {
    return !this.trainingDone && this.pending !== null;
  }

  /** Flows held for training so far. */
  get held(): number {
    return this.pending?.length ?? 0;
  }

  onFlow(flow: FlowV1): void {
    if (this.scorer) {
      if (this.batch === 1) this.score(flow);
      else {
        this.block.push(flow);
        if (this.block.length >= this.batch) this.flush();
      }
    } else if (this.pending !== null) this.pending.push(flow);
  }

  /** Scores and reports the flows waiting for a full block (call at the end of input). */
  flush(): void {
    if (this.block.length === 0) return;
    const flows = this.block;
    this.block = [];
    this.scoreMany(flows);
  }

  /** Fits the model on the held flows (once), then scores them. */
  train(inputFraction: number): void {
    if (!this.awaitingTraining) return;
    this.trainingDone = true;
    const held = this.pending ?? [];
    this.pending = null;
    const max = this.opts.maxTrainFlows ?? 100_000;
    const set = held.length > max ? held.slice(0, max) : held;
    let untilTs = 0;
    for (const f of set) if (f.end > untilTs) untilTs = f.end;
    if (set.length < MIN_TRAIN_FLOWS) {
      this.opts.onTrained?.({
        model: null as unknown as Model,
        flows: set.length,
        untilTs,
        inputFraction,
        skippedReason: `only ${set.length} flows (a model needs at least ${MIN_TRAIN_FLOWS})`,
      });
      return;
    }
    this.model = trainModel(set, { seed: this.opts.seed, contamination: this.opts.contamination });
    this.scorer = new Scorer(this.model, { featureNames: FLOW_FEATURE_NAMES });
    this.opts.onTrained?.({ model: this.model, flows: set.length, untilTs, inputFraction });
    if (this.batch === 1) for (const f of held) this.score(f);
    else for (let i = 0; i < held.length; i += this.batch) this.scoreMany(held.slice(i, i + this.batch));
  }

  private score(flow: FlowV1): void {
    this.report(flow, this.scorer!.score(flow));
  }

  private scoreMany(flows: FlowV1[]): void {
    const rs = this.scorer!.scoreBatch(flows);
    for (let i = 0; i < flows.length; i++) this.report(flows[i], rs[i]);
  }

  private report(flow: FlowV1, r: ScoreResult): void {
    this.opts.onScored?.(flow, r.score);
    if (r.anomalous) {
      this.anomalies++;
      this.opts.onAnomaly?.(toAnomaly(flow, r, this.model!), flow);
    }
  }
}
