import { z } from 'zod';
import { StorableText } from './common';

/** A message that could not be read, parked with the reason instead of being dropped. */
export const DeadLetterV1 = z.object({
  /** Topic the message came from. */
  topic: StorableText.min(1),
  partition: z.number().int().nonnegative(),
  offset: StorableText,
  /** Stable error code, e.g. `SCHEMA.INVALID`, `BATCH.BAD_VERSION`. */
  code: StorableText.min(1),
  /** Human-readable reason (first schema issues, decoder error). */
  reason: StorableText.max(4000),
  /** Service instance that rejected it. */
  consumer: StorableText.min(1),
  /** Wall-clock time of the rejection, epoch seconds. */
  at: z.number().finite(),
  /** Original key and value, base64 (value truncated to 64 KiB). */
  key: StorableText.nullable(),
  value: StorableText.nullable(),
});
export type DeadLetterV1 = z.infer<typeof DeadLetterV1>;
