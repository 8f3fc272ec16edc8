export {};
export * from './stats';
