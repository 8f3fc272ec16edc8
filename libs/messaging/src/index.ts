export * from './kafka';
export * from './topics';
export * from './envelope';
export * from './watermarks';
export * from './deadletter.producer';
export * from './service.process';
export * from './flows.reader';
export * from './send';
