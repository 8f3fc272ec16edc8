import type { AlertV1, AnomalyV1, FlowV1, StatsV1 } from '@netsentry/contracts';
import type { PacketRecord } from '@netsentry/packets';
import { FLOW_FEATURE_NAMES, FlowTable, StatsBuilder } from '@netsentry/flows';
import { Model, RuleEngine, Scorer, toAnomaly, trainModel, type RulesConfig } from '@netsentry/detection';
import { TrafficCounters } from './traffic';

/**
 * The whole NetSentry pipeline in one process, in the order the services run it
 * (docs/architecture.md, DESIGN.md "The pipeline"):
 *
 *   packet ─▶ FlowTable.add ─▶ StatsBuilder.add(rec, newFlow)            (aggregator)
 *   packet time crosses a second ─▶ FlowTable.advance, StatsBuilder.advance (aggregator watermark)
 *   finished flow ─▶ Scorer.score ─▶ toAnomaly       ┐
 *                 └▶ RuleEngine.onFlow               ├ (detector)
 *   stats partial ─▶ RuleEngine.onStats              │
 *   watermark     ─▶ RuleEngine.advance              ┘
 *
 * with an in-memory hand-off instead of Kafka, so the same input gives the same flows and
 * alerts as the Kafka pipeline. The packet path (`push`) does no allocation of its own.
 *
 * When no model is given the pipeline trains one on the first part of the input: flows are
 * held back (rules still see them at once) until the training point, a model is fitted on
 * them, and they are scored before streaming continues.
 */
export interface PipelineOptions {
  /** Sensor id the flows, alerts and anomalies carry (the sensor service uses the host name). */
  sensor: string;
  rules: RulesConfig;
  /** A trained model; when absent, one is trained on the first part of the input. */
  model?: Model;
  /** Train-on-first-part settings (only without `model`). */
  autoTrain?: AutoTrainOptions;
  flowTable?: { idleTimeoutS?: number; activeTimeoutS?: number; maxFlows?: number };
  statsIntervalS?: number;
  /** Score every flow and report it (for evaluation); anomalies are reported either way. */
  onScored?: (flow: FlowV1, score: number) => void;
  onFlow?: (flow: FlowV1) => void;
  onAlert?: (alert: AlertV1, change: 'new' | 'update') => void;
  onAnomaly?: (anomaly: AnomalyV1, flow: FlowV1) => void;
  onStats?: (stats: StatsV1) => void;
  /** Called once when a model has been trained on the first part of the input. */
  onTrained?: (info: TrainedInfo) => void;
}

export interface AutoTrainOptions {
  /** Fraction of the input (by bytes for files, of --duration for live) to train on. Default 0.3. */
  fraction?: number;
  /** Do not train on fewer flows than this unless the input ends first. Default 200. */
  minFlows?: number;
  /** At most this many flows are used for training. Default 100 000. */
  maxFlows?: number;
  seed?: number;
  contamination?: number | 'auto';
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

export class Pipeline {
  readonly traffic = new TrafficCounters();
  readonly table: FlowTable;
  readonly stats: StatsBuilder;
  readonly rules: RuleEngine;
  flows = 0;
  anomalies = 0;
  readonly alerts = new Map<string, AlertV1>();
  /** Packet time (µs) of the next one-second watermark. */
  private nextAdvanceUs = -1;
  private lastTsUs = 0;
  private scorer: Scorer | null = null;
  private model: Model | null;
  /** Flows held back until a model is trained (train-on-first-part). */
  private pending: FlowV1[] | null = null;
  private trainingDone = false;
  private readonly auto: Required<Omit<AutoTrainOptions, 'contamination' | 'seed'>> & AutoTrainOptions;

  constructor(private readonly opts: PipelineOptions) {
    this.model = opts.model ?? null;
    if (this.model) this.scorer = new Scorer(this.model, { featureNames: FLOW_FEATURE_NAMES });
    else this.pending = [];
    this.auto = { fraction: 0.3, minFlows: 200, maxFlows: 100_000, ...opts.autoTrain };
    this.rules = new RuleEngine(opts.rules, (alert, change) => {
      this.alerts.set(alert.id, alert);
      opts.onAlert?.(alert, change);
    });
    this.stats = new StatsBuilder({ sensor: opts.sensor, intervalS: opts.statsIntervalS }, (s) => {
      opts.onStats?.(s);
      this.rules.onStats(s);
    });
    this.table = new FlowTable({ sensor: opts.sensor, ...opts.flowTable }, (f) => this.flowDone(f));
  }

  get modelInUse(): Model | null {
    return this.model;
  }

  /** Hot path: one decoded packet (the reader's reusable record). */
  push(rec: PacketRecord): void {
    const ts = rec.tsUs;
    if (ts >= this.nextAdvanceUs) this.watermark(ts);
    if (ts > this.lastTsUs) this.lastTsUs = ts;
    const newFlow = this.table.add(rec);
    this.stats.add(rec, newFlow);
    this.traffic.add(rec);
  }

  /**
   * Advances packet time to `tsUs` (the one-second watermark the aggregator publishes).
   * Live mode calls it from a wall-clock timer so an idle interface still ends its flows.
   */
  watermark(tsUs: number): void {
    if (this.nextAdvanceUs >= 0) {
      this.table.advance(tsUs);
      this.stats.advance(tsUs);
      this.rules.advance(tsUs / 1e6);
    }
    this.nextAdvanceUs = tsUs - (tsUs % 1_000_000) + 1_000_000;
    if (tsUs > this.lastTsUs) this.lastTsUs = tsUs;
  }

  /**
   * Trains now when the training point is reached: `inputFraction` of the input has been
   * read and enough flows have finished. Called by the source between chunks.
   */
  maybeTrain(inputFraction: number): void {
    if (this.trainingDone || this.pending === null) return;
    if (inputFraction >= this.auto.fraction && this.pending.length >= this.auto.minFlows) this.train(inputFraction);
  }

  /** End of input: export every live flow, close the windows, train if still pending. */
  finish(): void {
    this.table.flush();
    this.stats.flush();
    this.rules.advance(this.lastTsUs / 1e6);
    this.rules.flush();
    if (!this.trainingDone && this.pending !== null) this.train(1);
  }

  private flowDone(flow: FlowV1): void {
    this.flows++;
    this.opts.onFlow?.(flow);
    this.rules.onFlow(flow);
    if (this.scorer) this.score(flow);
    else if (this.pending !== null) this.pending.push(flow);
  }

  private score(flow: FlowV1): void {
    const r = this.scorer!.score(flow);
    this.opts.onScored?.(flow, r.score);
    if (r.anomalous) {
      this.anomalies++;
      this.opts.onAnomaly?.(toAnomaly(flow, r, this.model!), flow);
    }
  }

  private train(inputFraction: number): void {
    this.trainingDone = true;
    const held = this.pending ?? [];
    this.pending = null;
    const set = held.length > this.auto.maxFlows ? held.slice(0, this.auto.maxFlows) : held;
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
    this.model = trainModel(set, { seed: this.auto.seed, contamination: this.auto.contamination });
    this.scorer = new Scorer(this.model, { featureNames: FLOW_FEATURE_NAMES });
    this.opts.onTrained?.({ model: this.model, flows: set.length, untilTs, inputFraction });
    for (const f of held) this.score(f);
  }
}
