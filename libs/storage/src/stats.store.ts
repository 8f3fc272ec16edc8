import { type StatsEntityV1, type StatsV1 } from '@netsentry/contracts';
import type { DataSource } from 'typeorm';
import { copyInto, copyNumber, copyText, withPgTransaction } from './copy';
import { StatsEntity } from './entities';

const STATS_COLUMNS = 'sensor, interval_start, entity_kind, entity_key, interval_s, instance, payload';
const KEY = 'sensor, interval_start, entity_kind, entity_key';

/** `global` for the whole sensor, else the entity's address. */
export function statsEntityKey(e: StatsEntityV1): string {
  return e.kind === 'global' ? 'global' : e.ip;
}

function encodeStats(s: StatsV1, i: number): string {
  return (
    copyText(s.sensor) + '\t' + copyNumber(s.start) + '\t' + s.entity.kind + '\t' + statsEntityKey(s.entity) + '\t' +
    copyNumber(s.intervalS) + '\t' + copyText(s.instance) + '\t' + copyText(JSON.stringify(s.entity)) + '\t' + i
  );
}

/**
 * Stores merged statistics: COPY into staging, then one upsert per (sensor, interval start, entity
 * kind, entity key). The row for a key is replaced when a later merge (a late partial joined in)
 * brings a different payload; the same batch stored twice changes nothing. Within one batch the
 * last record of a key wins. Returns rows inserted or changed.
 */
export async function storeStats(ds: DataSource, stats: readonly StatsV1[]): Promise<number> {
  if (stats.length === 0) return 0;
  return withPgTransaction(ds, async (c) => {
    await c.query(
      'CREATE TEMP TABLE IF NOT EXISTS stats_stage (LIKE stats INCLUDING DEFAULTS, ord integer NOT NULL) ON COMMIT DELETE ROWS',
    );
    await copyInto(c, `stats_stage (${STATS_COLUMNS}, ord)`, stats, encodeStats);
    const r = await c.query(
      `INSERT INTO stats (${STATS_COLUMNS})
       SELECT DISTINCT ON (${KEY}) ${STATS_COLUMNS} FROM stats_stage ORDER BY ${KEY}, ord DESC
       ON CONFLICT (${KEY}) DO UPDATE
         SET interval_s = EXCLUDED.interval_s, instance = EXCLUDED.instance, payload = EXCLUDED.payload, stored_at = now()
         WHERE stats.payload IS DISTINCT FROM EXCLUDED.payload OR stats.instance IS DISTINCT FROM EXCLUDED.instance`,
    );
    return r.rowCount ?? 0;
  });
}

export interface StatsQuery {
  kind: StatsEntityV1['kind'];
  /** Entity address (omit for `global`). */
  key?: string;
  sensor?: string;
  /** Interval starts in [since, until), epoch seconds. */
  since?: number;
  until?: number;
  /** Default 2000, at most 100 000. */
  limit?: number;
}

/** A time series of one entity's statistics, oldest first (console charts). */
export async function statsSeries(ds: DataSource, q: StatsQuery): Promise<StatsV1[]> {
  const qb = ds
    .getRepository(StatsEntity)
    .createQueryBuilder('s')
    .where('s.entity_kind = :kind', { kind: q.kind })
    .andWhere('s.entity_key = :key', { key: q.kind === 'global' ? 'global' : (q.key ?? '') });
  if (q.sensor) qb.andWhere('s.sensor = :sensor', { sensor: q.sensor });
  if (q.since !== undefined) qb.andWhere('s.interval_start >= :since', { since: q.since });
  if (q.until !== undefined) qb.andWhere('s.interval_start < :until', { until: q.until });
  qb.orderBy('s.interval_start', 'ASC').addOrderBy('s.sensor', 'ASC').limit(Math.min(q.limit ?? 2000, 100000));
  const rows = await qb.getMany();
  return rows.map((r) => ({
    sensor: r.sensor,
    instance: r.instance,
    start: r.intervalStart,
    intervalS: r.intervalS,
    entity: r.payload as StatsEntityV1,
  }));
}
