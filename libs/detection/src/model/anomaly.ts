import type { AnomalyV1, FlowV1 } from '@netsentry/contracts';
import type { Model } from './model';
import type { ScoreResult } from './scorer';

/**
 * The anomaly record for a scored flow. Deterministic id (flow id + model id), so a redelivered
 * flow scored by the same model upserts the same row. A result that is not anomalous still
 * converts (severity 'low'), for callers that record scores below the threshold on purpose.
 */
export function toAnomaly(flow: FlowV1, result: ScoreResult, model: Model): AnomalyV1 {
  return {
    id: `${flow.id}:${model.id}`,
    flowId: flow.id,
    sensor: flow.sensor,
    proto: flow.proto,
    srcIp: flow.srcIp,
    srcPort: flow.srcPort,
    dstIp: flow.dstIp,
    dstPort: flow.dstPort,
    start: flow.start,
    end: flow.end,
    score: Math.min(1, Math.max(0, result.score)),
    severity: result.severity ?? 'low',
    model: { id: model.id, version: model.version },
    topFeatures: result.topFeatures.slice(0, 32),
  };
}
