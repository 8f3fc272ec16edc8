import { z } from 'zod';
import { EpochSeconds, IpAddress, Protocol, SensorId, Severity, StorableText } from './common';

/** One feature behind an anomaly score. */
export const TopFeatureV1 = z.object({
  /** Feature name as in libs/flows' feature list. */
  name: StorableText.min(1),
  /** This flow's value. */
  value: z.number().finite(),
  /** Typical value in the training baseline (median). */
  baseline: z.number().finite(),
  /** Share of the score attributed to this feature, 0..1. */
  contribution: z.number().finite().min(0).max(1),
});
export type TopFeatureV1 = z.infer<typeof TopFeatureV1>;

/** A flow the model found unusual. */
export const AnomalyV1 = z.object({
  /** Deterministic: the flow id plus the model id. */
  id: StorableText.min(1).max(160),
  /** Id of the flow (FlowV1.id) that was scored. */
  flowId: StorableText.min(1).max(128),
  sensor: SensorId,
  proto: Protocol,
  srcIp: IpAddress,
  srcPort: z.number().int().min(0).max(65535),
  dstIp: IpAddress,
  dstPort: z.number().int().min(0).max(65535),
  start: EpochSeconds,
  end: EpochSeconds,
  /** Isolation Forest score, 0..1, higher is more anomalous. */
  score: z.number().finite().min(0).max(1),
  severity: Severity,
  /** The model that scored it. */
  model: z.object({ id: StorableText.min(1), version: z.number().int().nonnegative() }),
  topFeatures: z.array(TopFeatureV1).max(32),
});
export type AnomalyV1 = z.infer<typeof AnomalyV1>;
