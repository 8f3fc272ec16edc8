export * from './packet';
