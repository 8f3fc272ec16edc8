export * from './packet';
export * from './decode';
export * from './capture';
export { flowHash } from './flow-hash';
export { ipToString, ipFromString, isIPv4Mapped } from './address';
export * from './batch';
