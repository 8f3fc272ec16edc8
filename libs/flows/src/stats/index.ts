export { StatsBuilder, type StatsBuilderOptions } from './stats.builder';
export { mergeStats, mergeIps, mergePorts, hashIp } from './stats.merge';
export { BottomK } from './bottom-k';
