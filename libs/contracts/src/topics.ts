/** Kafka topic names. The `.v1` suffix is the schema version of the messages on the topic. */
export const Topics = {
  /** Binary packet-header batches (libs/packets batch codec), keyed by a direction-independent flow hash. */
  packets: 'netsentry.packets.v1',
  /** Finished flow records (FlowV1), keyed by the initiator's address. */
  flows: 'netsentry.flows.v1',
  /** Alerts raised by rules (AlertV1), keyed by alert id. */
  alerts: 'netsentry.alerts.v1',
  /** Flow anomalies from the model (AnomalyV1), keyed by anomaly id. */
  anomalies: 'netsentry.anomalies.v1',
  /** Sensor heartbeats (SensorHeartbeatV1), keyed by sensor id. */
  sensors: 'netsentry.sensors.v1',
  /** Per-interval traffic statistics (partials, merged by the detector), keyed by the entity they describe. */
  stats: 'netsentry.stats.v1',
  /** Messages that failed their schema or could not be decoded (DeadLetterV1). */
  deadletter: 'netsentry.deadletter.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];
export const ALL_TOPICS: readonly TopicName[] = Object.values(Topics);
