export * from './kafka';
export * from './topics';
export * from './envelope';
export * from './watermarks';
export * from './deadletter.producer';
