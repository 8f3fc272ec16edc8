export * from './scenario';
export * from './plan';
export * from './runner';
export * from './windows';
export { readIpv4Packets, ipv4ToInt, intToIpv4 } from './capture-read';
export { Rng } from './rng';
export { listNamespaces } from './topology';
