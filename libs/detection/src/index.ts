// Isolation Forest (mechanism) and the flow model built on it.
export * from './forest';
export * from './model';
