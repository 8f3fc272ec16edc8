export * from './topics';
export * from './common';
export * from './parse';
export * from './alert.v1';
export * from './anomaly.v1';
export * from './sensor.v1';
export * from './deadletter.v1';
export * from './flow.v1';
