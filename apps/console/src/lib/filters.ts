import { z } from 'zod';
import { AlertType, Severity } from '@netsentry/contracts';
import { normalizeIp } from './address';

/**
 * Every query string and route-handler input is parsed here with zod, at the edge. A bad
 * field never reaches the database: it is reported back as a field error and the filter
 * is left out. Parsing is strict on purpose: a value that only looks like a time or number
 * to a lenient parser (Date.parse('x 1'), Number('0x10')) would quietly apply a filter the
 * person did not ask for.
 */
export type Raw = Record<string, string | string[] | undefined>;

/** Latest time a filter may name (9999-12-31T23:59:59Z): every accepted time prints as a 4-digit-year ISO string. */
export const MAX_TIME_S = 253_402_300_799;

const EPOCH_SECONDS = /^\d{1,40}(\.\d{1,9})?$/;
// YYYY-MM-DD, optionally THH:MM[:SS[.fff]] and a zone; without a zone it is UTC (datetime-local sends none).
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Epoch seconds of an ISO 8601 text, or null when it names no real instant (2026-02-30, 24:00, offset +25:00). */
function isoSeconds(s: string): number | null {
  const m = ISO_8601.exec(s);
  if (!m) return null;
  const [y, mo, d, h = 0, mi = 0, sec = 0] = m.slice(1, 7).map((x) => (x === undefined ? undefined : Number(x))) as number[];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, sec));
  // Date.UTC rolls 02-30 over to 03-02 (and years < 100 to 19xx): only a value that survives the round trip is real.
  const back = [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds()];
  if (back.some((v, i) => v !== [y, mo, d, h, mi, sec][i])) return null;
  const offset = zoneSeconds(m[8]);
  if (offset === null) return null;
  return t.getTime() / 1000 + Number(m[7] ?? 0) - offset;
}

/** Seconds east of UTC for Z / ±HH:MM / ±HHMM (none = UTC), or null for an impossible offset. */
function zoneSeconds(zone: string | undefined): number | null {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;
  const h = Number(zone.slice(1, 3));
  const m = Number(zone.slice(-2));
  if (h > 23 || m > 59) return null;
  return (zone[0] === '-' ? -1 : 1) * (h * 3600 + m * 60);
}

/** Epoch seconds for epoch-seconds digits or an ISO 8601 / `datetime-local` value (taken as UTC), in 1970..9999; else null. */
export function parseTime(s: string): number | null {
  const t = EPOCH_SECONDS.test(s) ? Number(s) : isoSeconds(s);
  return t !== null && t >= 0 && t <= MAX_TIME_S ? t : null;
}

const Time = z
  .string()
  .max(40)
  .transform((s, ctx) => {
    const t = parseTime(s);
    if (t === null) {
      ctx.addIssue({ code: 'custom', message: 'not a time in 1970..9999 (epoch seconds or YYYY-MM-DDTHH:MM, UTC)' });
      return z.NEVER;
    }
    return t;
  });

/** A whole number in decimal digits only (z.coerce.number would take 0x10, 1e3 and ' 5'). */
const Int = (min: number, max: number) =>
  z.string().regex(/^\d{1,9}$/, 'not a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

/** A decimal number, digits and one point only (no hex, exponent or sign). */
const Decimal = (min: number, max: number) =>
  z.string().regex(/^(\d{1,9}(\.\d{1,9})?|\.\d{1,9})$/, 'not a decimal number').transform(Number).pipe(z.number().min(min).max(max));

/** An IP address in the form it is stored in, so any spelling of it matches (see normalizeIp). */
const Host = z
  .string()
  .max(64)
  .transform((s, ctx) => {
    const ip = normalizeIp(s);
    if (ip === null) {
      ctx.addIssue({ code: 'custom', message: 'not an IP address' });
      return z.NEVER;
    }
    return ip;
  });

export const AlertFilters = z.object({
  type: AlertType.optional(),
  severity: Severity.optional(),
  host: Host.optional(),
  from: Time.optional(),
  to: Time.optional(),
  page: Int(1, 10_000).default(1),
});
export type AlertFilters = z.infer<typeof AlertFilters>;

export const AnomalyFilters = z.object({
  host: Host.optional(),
  severity: Severity.optional(),
  minScore: Decimal(0, 1).optional(),
  from: Time.optional(),
  to: Time.optional(),
});
export type AnomalyFilters = z.infer<typeof AnomalyFilters>;

export const FlowFilters = z.object({
  host: Host.optional(),
  from: Time.optional(),
  to: Time.optional(),
  limit: Int(1, 1000).default(200),
});
export type FlowFilters = z.infer<typeof FlowFilters>;

/** An alert id as stored (deterministic hash ids; never free text into SQL). */
export const AlertId = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/);

export type Parsed<T> = { data: T; errors: Record<string, string> };

/** URLSearchParams in the shape pages get their searchParams in: a repeated key becomes an array. */
export function searchParamsRecord(sp: URLSearchParams): Raw {
  const out = new Map<string, string[]>();
  for (const [k, v] of sp) out.set(k, [...(out.get(k) ?? []), v]);
  return Object.fromEntries([...out].map(([k, vs]) => [k, vs.length === 1 ? vs[0] : vs]));
}

/**
 * Parses query-string values against a schema field by field: valid fields are kept, each
 * invalid one yields a field error (like a form action's fieldErrors) and is dropped. An
 * unknown key (a typo like `severty`) or a repeated one is an error too, not silently ignored
 * or resolved by picking one of the values.
 */
export function parseFilters<S extends z.ZodObject>(schema: S, raw: Raw): Parsed<z.infer<S>> {
  // A Map, not an object: keys are the client's, and `__proto__` must stay a plain key.
  const errors = new Map<string, string>();
  const input: Record<string, string> = {};
  for (const [key, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    const vs = typeof v === 'string' ? [v] : v;
    if (!Object.hasOwn(schema.shape, key)) errors.set(key, 'unknown parameter');
    else if (vs.length > 1) errors.set(key, 'given more than once');
    else if (vs[0] !== undefined && vs[0].trim() !== '') input[key] = vs[0].trim();
  }
  let r = schema.safeParse(input);
  while (!r.success) {
    const bad = r.error.issues[0];
    const key = String(bad?.path[0] ?? '');
    if (!key || !(key in input)) break;
    errors.set(key, bad.message);
    delete input[key];
    r = schema.safeParse(input);
  }
  return { data: (r.success ? r.data : schema.parse({})) as z.infer<S>, errors: Object.fromEntries(errors) };
}
