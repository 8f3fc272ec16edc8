export type { Finding } from './finding';
export { AlertAggregator, alertId, DEFAULT_AGGREGATOR_OPTIONS, type AlertAggregatorOptions, type AlertChange } from './alert.aggregator';
