import { z } from 'zod';

/** A message that could not be read, parked with the reason instead of being dropped. */
export const DeadLetterV1 = z.object({
  /** Topic the message came from. */
  topic: z.string().min(1),
  partition: z.number().int().nonnegative(),
  offset: z.string(),
  /** Stable error code, e.g. `SCHEMA.INVALID`, `BATCH.BAD_VERSION`. */
  code: z.string().min(1),
  /** Human-readable reason (first schema issues, decoder error). */
  reason: z.string().max(4000),
  /** Service instance that rejected it. */
  consumer: z.string().min(1),
  /** Wall-clock time of the rejection, epoch seconds. */
  at: z.number().finite(),
  /** Original key and value, base64 (value truncated to 64 KiB). */
  key: z.string().nullable(),
  value: z.string().nullable(),
});
export type DeadLetterV1 = z.infer<typeof DeadLetterV1>;
