import type { DataSource } from 'typeorm';

/** How long each kind of row is kept, in days. */
export interface RetentionPolicy {
  /** Default 7. */
  flowsDays?: number;
  /** Default 7. */
  statsDays?: number;
  /** Default 90. */
  alertsDays?: number;
  /** Default 90 (anomalies are findings, like alerts). */
  anomaliesDays?: number;
}

export const DEFAULT_RETENTION: Required<RetentionPolicy> = { flowsDays: 7, statsDays: 7, alertsDays: 90, anomaliesDays: 90 };

/** Rows removed per table. */
export interface RetentionResult {
  flows: number;
  stats: number;
  alerts: number;
  anomalies: number;
}

/** Rows deleted per statement, so retention never holds long locks on a busy table. */
const DELETE_BATCH = 20000;

async function deleteOlder(ds: DataSource, table: string, column: string, cutoff: Date): Promise<number> {
  let total = 0;
  for (;;) {
    // By row address (a TID scan): joining the batch back on the key let the planner hash the
    // batch and scan the whole table for every batch (EXPLAIN in docs/bench/pipeline.md). A row
    // updated meanwhile has moved and is left for the next run, which is what retention wants.
    const r: [unknown[], number] = await ds.query(
      `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE ${column} < $1 LIMIT ${DELETE_BATCH}))`,
      [cutoff],
    );
    const n = r[1];
    total += n;
    if (n < DELETE_BATCH) return total;
  }
}

/**
 * Deletes rows older than the policy, measured on the wall clock of storage (`stored_at`; for
 * alerts `updated_at`, the last time the attack was seen). Wall clock rather than packet time so
 * that replaying an old capture does not make its results vanish at the next run.
 */
export async function applyRetention(ds: DataSource, policy: RetentionPolicy = {}, now: Date = new Date()): Promise<RetentionResult> {
  const p = { ...DEFAULT_RETENTION, ...policy };
  const cutoff = (days: number) => new Date(now.getTime() - days * 86400_000);
  // flows.stored_at has a BRIN index: page ranges not summarised yet would be read whole by the
  // search for old rows, so summarise them first (only the ranges filled since the last summary).
  await ds.query(`SELECT brin_summarize_new_values('flows_stored_brin')`);
  return {
    flows: await deleteOlder(ds, 'flows', 'stored_at', cutoff(p.flowsDays)),
    stats: await deleteOlder(ds, 'stats', 'stored_at', cutoff(p.statsDays)),
    alerts: await deleteOlder(ds, 'alerts', 'updated_at', cutoff(p.alertsDays)),
    anomalies: await deleteOlder(ds, 'anomalies', 'stored_at', cutoff(p.anomaliesDays)),
  };
}
