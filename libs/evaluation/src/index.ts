export * from './truth';
export * from './truth-file';
export * from './metrics';
export * from './matching';
export * from './evaluate';
export * from './report';
