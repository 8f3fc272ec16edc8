// Isolation Forest (mechanism) and the flow model built on it.
export * from './forest';
export * from './model';
// Attack rules over per-interval statistics, and alert aggregation.
export * from './rules';
export * from './alerts';
