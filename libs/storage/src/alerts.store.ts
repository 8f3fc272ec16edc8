import { severityRank, type AlertType, type AlertV1, type Severity } from '@netsentry/contracts';
import type { DataSource } from 'typeorm';
import { AlertEntity } from './entities';

const ALERT_COLUMNS = [
  'id', 'type', 'severity', 'severity_rank', 'sources', 'targets', 'source_count', 'target_count',
  'start_ts', 'end_ts', 'summary', 'evidence', 'rule', 'sensor', 'superseded_by', 'includes',
] as const;

/** What `upsertAlerts` did with each alert id. */
export interface AlertWrite {
  id: string;
  /** `inserted` (new), `updated` (a newer version replaced the row) or `unchanged` (redelivery or stale). */
  outcome: 'inserted' | 'updated' | 'unchanged';
}

/** Max rows per INSERT statement (each row takes 15 parameters; PostgreSQL allows 65535). */
const ROWS_PER_STATEMENT = 500;

/**
 * Inserts or updates alerts by id. An alert is updated while its attack lasts (same id, later
 * `end`, new counts): a version with a later `end` - or the same `end` and different content -
 * replaces end, severity, evidence, sources, targets, summary and includes (start keeps the earliest seen);
 * a redelivered or older version changes nothing. `superseded_by`, once set (the alert's last
 * version: it became part of another), is kept: no version clears it. Runs through the TypeORM
 * DataSource; raw SQL because the conditional `ON CONFLICT ... DO UPDATE ... WHERE` is not
 * expressible in its builder.
 */
export async function upsertAlerts(ds: DataSource, alerts: readonly AlertV1[]): Promise<AlertWrite[]> {
  // One statement may not touch a row twice: keep the latest version of each id.
  const latest = new Map<string, AlertV1>();
  for (const a of alerts) {
    const prev = latest.get(a.id);
    if (!prev || a.end >= prev.end) latest.set(a.id, a);
  }
  // Sorted by id: concurrent upserts of overlapping sets lock rows in one order (no deadlock).
  const rows = [...latest.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out: AlertWrite[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const part = rows.slice(i, i + ROWS_PER_STATEMENT);
    const params: unknown[] = [];
    const tuples = part.map((a) => {
      const base = params.length;
      params.push(
        a.id, a.type, a.severity, severityRank(a.severity), a.sources, a.targets, a.sourceCount ?? null,
        a.targetCount ?? null, a.start, a.end, a.summary, JSON.stringify(a.evidence), a.rule ?? null, a.sensor,
        a.supersededBy ?? null, a.includes ?? null,
      );
      return '(' + ALERT_COLUMNS.map((_, k) => `$${base + k + 1}`).join(', ') + ')';
    });
    const r: { id: string; inserted: boolean }[] = await ds.query(
      `INSERT INTO alerts AS a (${ALERT_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}
       ON CONFLICT (id) DO UPDATE SET
         severity = EXCLUDED.severity, severity_rank = EXCLUDED.severity_rank,
         sources = EXCLUDED.sources, targets = EXCLUDED.targets,
         source_count = EXCLUDED.source_count, target_count = EXCLUDED.target_count,
         start_ts = LEAST(a.start_ts, EXCLUDED.start_ts), end_ts = EXCLUDED.end_ts,
         summary = EXCLUDED.summary, evidence = EXCLUDED.evidence, rule = EXCLUDED.rule,
         includes = EXCLUDED.includes,
         superseded_by = COALESCE(a.superseded_by, EXCLUDED.superseded_by),
         updated_at = now(), revisions = a.revisions + 1
       WHERE EXCLUDED.end_ts > a.end_ts
          OR (EXCLUDED.end_ts = a.end_ts AND
              (EXCLUDED.severity, EXCLUDED.sources, EXCLUDED.targets, EXCLUDED.evidence, EXCLUDED.summary,
               EXCLUDED.source_count, EXCLUDED.target_count, EXCLUDED.includes)
              IS DISTINCT FROM
              (a.severity, a.sources, a.targets, a.evidence, a.summary, a.source_count, a.target_count, a.includes))
          OR (a.superseded_by IS NULL AND EXCLUDED.superseded_by IS NOT NULL AND EXCLUDED.end_ts >= a.end_ts)
       RETURNING id, (xmax = 0) AS inserted`,
      params,
    );
    const touched = new Map(r.map((x) => [x.id, x.inserted]));
    for (const a of part) {
      const ins = touched.get(a.id);
      out.push({ id: a.id, outcome: ins === undefined ? 'unchanged' : ins ? 'inserted' : 'updated' });
    }
  }
  return out;
}

export function toAlert(e: AlertEntity): AlertV1 {
  const a: AlertV1 = {
    id: e.id,
    type: e.type as AlertType,
    severity: e.severity as Severity,
    sources: e.sources,
    targets: e.targets,
    start: e.start,
    end: e.end,
    summary: e.summary,
    evidence: e.evidence,
    sensor: e.sensor,
  };
  if (e.sourceCount !== null) a.sourceCount = e.sourceCount;
  if (e.targetCount !== null) a.targetCount = e.targetCount;
  if (e.rule !== null) a.rule = e.rule;
  if (e.supersededBy !== null) a.supersededBy = e.supersededBy;
  if (e.includes !== null && e.includes.length > 0) a.includes = e.includes as AlertType[];
  return a;
}

export interface AlertQuery {
  /** Alerts active at or after `since` (end >= since) and started before `until`, epoch seconds. */
  since?: number;
  until?: number;
  /** Alerts of these types, or that took one of them in (`includes`). */
  types?: AlertType[];
  /** At or above this severity. */
  minSeverity?: Severity;
  /** Alerts where this address is among sources or targets. */
  host?: string;
  sensor?: string;
  /** Default 100, at most 5000. */
  limit?: number;
  offset?: number;
}

/** Recent alerts with filters, latest activity first (console alert list). */
export async function findAlerts(ds: DataSource, q: AlertQuery = {}): Promise<AlertV1[]> {
  const qb = ds.getRepository(AlertEntity).createQueryBuilder('a');
  if (q.since !== undefined) qb.andWhere('a.end_ts >= :since', { since: q.since });
  if (q.until !== undefined) qb.andWhere('a.start_ts < :until', { until: q.until });
  // A type also finds the alerts that took that type in (a ddos alert including a syn_flood).
  if (q.types?.length) qb.andWhere('(a.type IN (:...types) OR a.includes && ARRAY[:...types]::text[])', { types: q.types });
  if (q.minSeverity) qb.andWhere('a.severity_rank >= :rank', { rank: severityRank(q.minSeverity) });
  if (q.host) qb.andWhere('(a.sources @> ARRAY[:host]::text[] OR a.targets @> ARRAY[:host]::text[])', { host: q.host });
  if (q.sensor) qb.andWhere('a.sensor = :sensor', { sensor: q.sensor });
  qb.orderBy('a.end_ts', 'DESC').addOrderBy('a.id', 'ASC').limit(Math.min(q.limit ?? 100, 5000)).offset(q.offset ?? 0);
  return (await qb.getMany()).map(toAlert);
}

/** One alert by id, or null. */
export async function getAlert(ds: DataSource, id: string): Promise<AlertV1 | null> {
  const e = await ds.getRepository(AlertEntity).findOneBy({ id });
  return e ? toAlert(e) : null;
}

/** Alert counts by type and severity in a time range (console overview). */
export async function countAlerts(
  ds: DataSource,
  q: { since?: number; until?: number } = {},
): Promise<{ type: AlertType; severity: Severity; count: number }[]> {
  const rows: { type: AlertType; severity: Severity; count: string }[] = await ds.query(
    `SELECT type, severity, count(*) AS count FROM alerts
     WHERE ($1::float8 IS NULL OR end_ts >= $1) AND ($2::float8 IS NULL OR start_ts < $2)
     GROUP BY type, severity ORDER BY type, severity`,
    [q.since ?? null, q.until ?? null],
  );
  return rows.map((r) => ({ type: r.type, severity: r.severity, count: Number(r.count) }));
}
