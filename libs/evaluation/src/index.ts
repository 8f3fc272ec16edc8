export * from './truth';
