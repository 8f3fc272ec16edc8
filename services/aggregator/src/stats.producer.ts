import type { Message } from 'kafkajs';
import { statsKey, type StatsV1 } from '@netsentry/contracts';

/** Partial statistics for `netsentry.stats.v1`, keyed by entity (`global`, `src:<ip>`, `dst:<ip>`) so one detector instance gets every partial of an entity. */
export function statsMessages(stats: StatsV1[]): Message[] {
  return stats.map((s) => ({ key: statsKey(s), value: JSON.stringify(s) }));
}
