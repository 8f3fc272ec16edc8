import { z } from 'zod';

/** Result of reading an untrusted message: a value, or a stable error code with a reason. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; code: 'JSON.INVALID' | 'SCHEMA.INVALID'; reason: string };

/** Parses JSON bytes against a schema without throwing (for Kafka handlers and HTTP routes). */
export function parseJsonMessage<S extends z.ZodType>(schema: S, bytes: Buffer | string | null | undefined): Parsed<z.infer<S>> {
  if (bytes == null) return { ok: false, code: 'JSON.INVALID', reason: 'empty message' };
  let raw: unknown;
  try {
    raw = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (e) {
    return { ok: false, code: 'JSON.INVALID', reason: (e as Error).message };
  }
  return parseValue(schema, raw);
}

/** Validates an already-parsed value against a schema without throwing. */
export function parseValue<S extends z.ZodType>(schema: S, raw: unknown): Parsed<z.infer<S>> {
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const reason = r.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  return { ok: false, code: 'SCHEMA.INVALID', reason };
}
