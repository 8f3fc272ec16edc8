import { Partitioners, type Message, type PartitionerArgs } from 'kafkajs';
import { encodeFlowBatches, type FlowV1 } from '@netsentry/contracts';

/** Flows per batch message: ~850 bytes each with the current feature set, well under a request's size. */
const BATCH_FLOWS = 512;

/**
 * The partition kafkajs's default partitioner gives a message keyed by `key` (murmur2 of the
 * key), so a batch lands where each of its flows, sent alone keyed by `srcIp`, would.
 */
export function flowPartition(key: string, partitions: number): number {
  partitionerFn ??= Partitioners.DefaultPartitioner();
  return partitionerFn({ topic: '', partitionMetadata: partitionMeta(partitions), message: { key, value: null } });
}

let partitionerFn: ((args: PartitionerArgs) => number) | null = null;
const metaCache = new Map<number, PartitionerArgs['partitionMetadata']>();
function partitionMeta(n: number): PartitionerArgs['partitionMetadata'] {
  let m = metaCache.get(n);
  if (!m) {
    m = Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
    metaCache.set(n, m);
  }
  return m;
}

/**
 * Messages for `netsentry.flows.v1`: flows grouped by (sensor, partition of their `srcIp`) into
 * binary flow batches (libs/contracts flow-batch.v1) sent to that partition, so all flows of one
 * source still reach the same detector instance, in order. A flow a batch cannot carry exactly
 * goes as one JSON FlowV1 keyed by `srcIp`, as before (the detector reads both).
 */
export function flowMessages(flows: FlowV1[], partitions: number): Message[] {
  const groups = new Map<string, FlowV1[][]>();
  for (const f of flows) {
    let g = groups.get(f.sensor);
    if (!g) {
      g = Array.from({ length: partitions }, () => []);
      groups.set(f.sensor, g);
    }
    g[flowPartition(f.srcIp, partitions)].push(f);
  }
  const out: Message[] = [];
  for (const g of groups.values()) {
    for (let p = 0; p < partitions; p++) {
      if (g[p].length === 0) continue;
      const { batches, rest } = encodeFlowBatches(g[p], BATCH_FLOWS);
      for (const value of batches) out.push({ partition: p, value });
      for (const f of rest) out.push({ key: f.srcIp, value: JSON.stringify(f) });
    }
  }
  return out;
}
