import type { Message } from 'kafkajs';
import type { FlowV1 } from '@netsentry/contracts';

/** Flow records for `netsentry.flows.v1`, keyed by the initiator's address (one source, one detector instance). */
export function flowMessages(flows: FlowV1[]): Message[] {
  return flows.map((f) => ({ key: f.srcIp, value: JSON.stringify(f) }));
}
