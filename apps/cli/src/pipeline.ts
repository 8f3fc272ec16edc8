import type { AlertV1, AnomalyV1, FlowV1, StatsV1 } from '@netsentry/contracts';
import type { PacketRecord } from '@netsentry/packets';
import { FlowTable, type StatsBuilder } from '@netsentry/flows';
import type { Model, RuleEngine, RulesConfig } from '@netsentry/detection';
import type { FlowScoring, TrainedInfo } from './flow-scoring';
import type { PacketSide } from './packet-side';
import type { TrafficCounters } from './traffic';

export type { TrainedInfo };

/** Smallest number of flows a model is trained on (flow-scoring.ts has the same constant). */
export const MIN_TRAIN_FLOWS = 16;

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
 *
 * With `flowSink` the finished flows and the training point go to that consumer instead
 * (analyze runs it in a worker thread: FlowSide); the pipeline then scores nothing itself.
 * With `packetSink` each packet and its "new flow" bit go there after the flow table instead
 * of to the statistics, rules and traffic counters (PacketSide, run by the same worker).
 */
export interface PipelineOptions {
  /** Sensor id the flows, alerts and anomalies carry (the sensor service uses the host name). */
  sensor: string;
  /** Rule thresholds (default: the built-in ones); not used with a packetSink. */
  rules?: RulesConfig;
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
  /**
   * Consumer of the finished flows and of the training point, in place of the pipeline's own
   * scoring (model, autoTrain seed/contamination/maxFlows, onScored, onAnomaly and onTrained
   * are then the sink's business; `model` only says that no training point is needed).
   */
  flowSink?: FlowSink;
  /**
   * Consumer of every packet after the flow table (file input only: it makes its own packet-time
   * watermarks), in place of the pipeline's statistics, rules and traffic counters; `traffic`,
   * `stats`, `rules` and `alerts` are then not available here.
   */
  packetSink?: PacketSink;
}

/** Where packets go after the flow table when the pipeline does not count them itself. */
export interface PacketSink {
  packet(rec: PacketRecord, newFlow: boolean): void;
  /** The one-second watermark was applied to the flow table, before the coming packet. */
  advance?(tsUs: number): void;
}

/** Where finished flows go when the pipeline does not score them itself. */
export interface FlowSink {
  flow(flow: FlowV1): void;
  /** The train-on-first-part point: train on every flow given so far. Called at most once. */
  train(inputFraction: number): void;
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

export class Pipeline {
  readonly table: FlowTable;
  flows = 0;
  anomalies = 0;
  /** Statistics, rules and traffic counters here (null with a packetSink). */
  private readonly local: PacketSide | null;
  private readonly packetSink: PacketSink | null;
  /** Packet time (µs) of the next one-second watermark. */
  private nextAdvanceUs = -1;
  private lastTsUs = 0;
  /** Own scoring (null with a flowSink). */
  private readonly scoring: FlowScoring | null;
  private readonly sink: FlowSink | null;
  /** With a sink: flows are held there for a model not trained yet. */
  private sinkAwaitsTraining: boolean;
  private readonly auto: Required<Omit<AutoTrainOptions, 'contamination' | 'seed'>> & AutoTrainOptions;

  constructor(private readonly opts: PipelineOptions) {
    // Defaults for absent and undefined settings alike (a spread would let `fraction: undefined`
    // through, and no training point would ever be reached before the end of the input).
    const a = opts.autoTrain ?? {};
    this.auto = { fraction: a.fraction ?? 0.3, minFlows: a.minFlows ?? 200, maxFlows: a.maxFlows ?? 100_000, seed: a.seed, contamination: a.contamination };
    this.sink = opts.flowSink ?? null;
    this.sinkAwaitsTraining = this.sink !== null && !opts.model;
    // The scoring and the packet side (the detection library, hence zod) are loaded only when
    // this pipeline runs them: with both sinks (analyze on two threads) the main thread never does.
    this.scoring = this.sink
      ? null
      : new (require('./flow-scoring') as typeof import('./flow-scoring')).FlowScoring({
          model: opts.model,
          maxTrainFlows: this.auto.maxFlows,
          seed: this.auto.seed,
          contamination: this.auto.contamination,
          onScored: opts.onScored,
          onAnomaly: (a, f) => {
            this.anomalies++;
            opts.onAnomaly?.(a, f);
          },
          onTrained: opts.onTrained,
        });
    this.packetSink = opts.packetSink ?? null;
    this.local = this.packetSink
      ? null
      : new (require('./packet-side') as typeof import('./packet-side')).PacketSide({
          sensor: opts.sensor,
          rules: opts.rules ?? (require('./config') as typeof import('./config')).loadRules(),
          statsIntervalS: opts.statsIntervalS,
          onAlert: opts.onAlert,
          onStats: opts.onStats,
        });
    this.table = new FlowTable({ sensor: opts.sensor, ...opts.flowTable }, (f) => this.flowDone(f));
  }

  get traffic(): TrafficCounters {
    return this.side().traffic;
  }
  get stats(): StatsBuilder {
    return this.side().stats;
  }
  get rules(): RuleEngine {
    return this.side().rules;
  }
  get alerts(): Map<string, AlertV1> {
    return this.side().alerts;
  }

  private side(): PacketSide {
    if (this.local === null) throw new Error('Pipeline: statistics, rules and traffic are in the packetSink');
    return this.local;
  }

  /** The model scoring flows (null before training, and always with a flowSink). */
  get modelInUse(): Model | null {
    return this.scoring?.modelInUse ?? null;
  }

  /** Hot path: one decoded packet (the reader's reusable record). */
  push(rec: PacketRecord): void {
    const ts = rec.tsUs;
    if (ts >= this.nextAdvanceUs) this.watermark(ts);
    if (ts > this.lastTsUs) this.lastTsUs = ts;
    const newFlow = this.table.add(rec);
    if (this.local !== null) this.local.add(rec, newFlow);
    else this.packetSink!.packet(rec, newFlow);
  }

  /**
   * Advances packet time to `tsUs` (the one-second watermark the aggregator publishes).
   * Live mode calls it from a wall-clock timer so an idle interface still ends its flows.
   */
  watermark(tsUs: number): void {
    if (this.nextAdvanceUs >= 0) {
      this.table.advance(tsUs);
      if (this.local !== null) this.local.advance(tsUs);
      else this.packetSink!.advance?.(tsUs);
    }
    this.nextAdvanceUs = tsUs - (tsUs % 1_000_000) + 1_000_000;
    if (tsUs > this.lastTsUs) this.lastTsUs = tsUs;
  }

  /**
   * Trains now when the training point is reached: `inputFraction` of the input has been
   * read and enough flows have finished. Called by the source between chunks.
   */
  maybeTrain(inputFraction: number): void {
    if (inputFraction < this.auto.fraction || this.flows < this.auto.minFlows) return;
    this.trainNow(inputFraction);
  }

  /** End of input: export every live flow, close the windows, train if still pending. */
  finish(): void {
    this.table.flush();
    this.local?.finish(this.lastTsUs);
    this.trainNow(1);
  }

  private trainNow(inputFraction: number): void {
    if (this.scoring !== null) {
      if (this.scoring.awaitingTraining) this.scoring.train(inputFraction);
    } else if (this.sinkAwaitsTraining) {
      this.sinkAwaitsTraining = false;
      this.sink!.train(inputFraction);
    }
  }

  private flowDone(flow: FlowV1): void {
    this.flows++;
    this.opts.onFlow?.(flow);
    this.local?.onFlow(flow);
    if (this.scoring !== null) this.scoring.onFlow(flow);
    else this.sink!.flow(flow);
  }
}
