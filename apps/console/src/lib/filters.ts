import { z } from 'zod';
import { AlertType, IpAddress, Severity } from '@netsentry/contracts';

/**
 * Every query string and route-handler input is parsed here with zod, at the edge. A bad
 * field never reaches the database: it is reported back as a field error and the filter
 * is left out.
 */
type Raw = Record<string, string | string[] | undefined>;

const one = (v: string | string[] | undefined): string | undefined => {
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s.trim() === '' ? undefined : s.trim();
};

/** Epoch seconds, an ISO date, or a `datetime-local` value (taken as UTC). */
const Time = z
  .string()
  .max(40)
  .transform((s, ctx) => {
    const n = Number(s);
    if (Number.isFinite(n) && /^\d+(\.\d+)?$/.test(s)) return n;
    const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : s + 'Z');
    if (Number.isNaN(t)) {
      ctx.addIssue({ code: 'custom', message: 'not a time (epoch seconds or YYYY-MM-DDTHH:MM)' });
      return z.NEVER;
    }
    return t / 1000;
  });

export const AlertFilters = z.object({
  type: AlertType.optional(),
  severity: Severity.optional(),
  host: IpAddress.optional(),
  from: Time.optional(),
  to: Time.optional(),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
});
export type AlertFilters = z.infer<typeof AlertFilters>;

export const AnomalyFilters = z.object({
  host: IpAddress.optional(),
  severity: Severity.optional(),
  minScore: z.coerce.number().min(0).max(1).optional(),
  from: Time.optional(),
  to: Time.optional(),
});
export type AnomalyFilters = z.infer<typeof AnomalyFilters>;

export const FlowFilters = z.object({
  host: IpAddress.optional(),
  from: Time.optional(),
  to: Time.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export type FlowFilters = z.infer<typeof FlowFilters>;

/** An alert id as stored (deterministic hash ids; never free text into SQL). */
export const AlertId = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/);

export type Parsed<T> = { data: T; errors: Record<string, string> };

/**
 * Parses query-string values against a schema field by field: valid fields are kept, each
 * invalid one yields a field error (like a form action's fieldErrors) and is dropped.
 */
export function parseFilters<S extends z.ZodObject>(schema: S, raw: Raw): Parsed<z.infer<S>> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = one(raw[key]);
    if (v !== undefined) input[key] = v;
  }
  const errors: Record<string, string> = {};
  let r = schema.safeParse(input);
  while (!r.success) {
    const bad = r.error.issues[0];
    const key = String(bad?.path[0] ?? '');
    if (!key || !(key in input)) break;
    errors[key] = bad.message;
    delete input[key];
    r = schema.safeParse(input);
  }
  return { data: (r.success ? r.data : schema.parse({})) as z.infer<S>, errors };
}
