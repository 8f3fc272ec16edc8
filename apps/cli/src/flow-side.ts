import type { AnomalyV1, FlowV1 } from '@netsentry/contracts';
import type { Model } from '@netsentry/detection';
import { Analysis, type AnalysisResult } from './analysis';
import { FlowScoring, type TrainedInfo } from './flow-scoring';
import type { FlowSink } from './pipeline';
import { anomalyRow, ANOMALY_COLUMNS, FlowWriter } from './output/records';
import { csvRow, type LineSink } from './output/sink';

/** Flows scored per block on capture files (Scorer.scoreBatch; the forest kernel's block size). */
export const SCORE_BLOCK = 64;

/**
 * Everything `analyze` does with a finished flow: the flows.csv row, the run's analysis (talkers,
 * host context, the correlation sample, the top anomalies), training on the first part and
 * scoring, and the anomalies.csv row. It depends only on the sequence of flows and the training
 * point, so it gives the same files on the main thread (live capture, eval) and in the analyze
 * worker (files: see analyze.thread.ts), whatever the threads' timing.
 */
export interface FlowSideOptions {
  /** flows.csv (header written on the first row or at close). */
  flowsOut?: LineSink | null;
  /** anomalies.csv (the header is written at once). */
  anomaliesOut?: LineSink | null;
  model?: Model;
  maxTrainFlows?: number;
  seed?: number;
  contamination?: number | 'auto';
  onScored?: (flow: FlowV1, score: number) => void;
  onAnomaly?: (anomaly: AnomalyV1) => void;
  onTrained?: (info: TrainedNote) => void;
  /** Score in blocks (FlowScoringOptions.batch): capture files; not live capture. */
  batch?: number;
}

/** What training did, as plain data (the model itself stays with the scorer). */
export interface TrainedNote extends Omit<TrainedInfo, 'model'> {
  /** The trained model's id and version (null when training was skipped). */
  model: { id: string; version: number } | null;
}

export interface FlowSideResult {
  analysis: AnalysisResult;
  /** The model that scored the flows (given or trained), null when none did. */
  model: { id: string; version: number } | null;
  trained: TrainedNote | null;
}

export class FlowSide implements FlowSink {
  private readonly analysis = new Analysis();
  private readonly scoring: FlowScoring;
  private readonly flowsOut: FlowWriter | null;
  private readonly anomaliesOut: LineSink | null;
  private trained: TrainedNote | null = null;

  constructor(opts: FlowSideOptions) {
    this.flowsOut = opts.flowsOut ? new FlowWriter(opts.flowsOut, 'csv', 'native') : null;
    this.anomaliesOut = opts.anomaliesOut ?? null;
    this.anomaliesOut?.line(csvRow(ANOMALY_COLUMNS));
    this.scoring = new FlowScoring({
      model: opts.model,
      maxTrainFlows: opts.maxTrainFlows,
      seed: opts.seed,
      contamination: opts.contamination,
      batch: opts.batch,
      onScored: opts.onScored,
      onAnomaly: (a) => {
        this.analysis.onAnomaly(a);
        opts.onAnomaly?.(a);
        this.anomaliesOut?.line(anomalyRow(a));
      },
      onTrained: (info) => {
        const { model, ...rest } = info;
        this.trained = { ...rest, model: info.skippedReason ? null : { id: model.id, version: model.version } };
        opts.onTrained?.(this.trained);
      },
    });
  }

  flow(f: FlowV1): void {
    this.analysis.onFlow(f);
    this.flowsOut?.write(f);
    this.scoring.onFlow(f);
  }

  train(inputFraction: number): void {
    this.scoring.train(inputFraction);
  }

  /** Closes the CSV files and returns the figures (call once, after the last flow and train). */
  finish(): FlowSideResult {
    this.scoring.flush();
    this.flowsOut?.close();
    this.anomaliesOut?.close();
    const m = this.scoring.modelInUse;
    return { analysis: this.analysis.result(), model: m ? { id: m.id, version: m.version } : null, trained: this.trained };
  }
}
