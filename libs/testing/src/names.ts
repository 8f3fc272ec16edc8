import { randomBytes } from 'node:crypto';

/**
 * A name no other run uses: `<prefix>_<pid>_<8 hex>`, lowercase and limited to [a-z0-9_.-] so it
 * is valid as a Kafka topic, consumer group and (with `_` separators) a PostgreSQL identifier.
 */
export function uniqueName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_.-]/g, '_');
  return `${clean}_${process.pid}_${randomBytes(4).toString('hex')}`;
}
