import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `flows` keyed by (start_ts, id) instead of id alone (docs/bench/pipeline.md, detector, 2026-12-07):
 *
 * - A flow id is a hash of (sensor, key, start time), so a redelivered flow has the same start and
 *   the same id: (start_ts, id) is as good an idempotency key as id. But ids are random, and every
 *   insert into an id-ordered btree landed on a random leaf page (a quarter of PostgreSQL's CPU per
 *   stored flow was `_bt_compare` and buffer look-ups), while start times arrive roughly in
 *   order, so inserts into a (start_ts, id) btree go to the few pages at its right edge.
 * - The same btree serves the time queries `flows_start_idx` served (newest flows, a time window,
 *   the training window in start order), so that index goes: one btree fewer per stored flow.
 *
 * Rebuilding the key reads the table once; it runs in the migration's transaction.
 */
export class FlowsTimeKey1796800000000 implements MigrationInterface {
  name = 'FlowsTimeKey1796800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE flows DROP CONSTRAINT flows_pkey`);
    await q.query(`ALTER TABLE flows ADD CONSTRAINT flows_pkey PRIMARY KEY (start_ts, id)`);
    await q.query(`DROP INDEX flows_start_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Two rows with one id and different starts (never written by NetSentry's producers, whose
    // ids hash the start) cannot go back under the old key; say so rather than drop one.
    const dup: { id: string }[] = await q.query(`SELECT id FROM flows GROUP BY id HAVING count(*) > 1 LIMIT 1`);
    if (dup.length) throw new Error(`FlowsTimeKey down: flow id ${dup[0].id} is stored with more than one start time; the id-only key cannot hold both`);
    await q.query(`ALTER TABLE flows DROP CONSTRAINT flows_pkey`);
    await q.query(`ALTER TABLE flows ADD CONSTRAINT flows_pkey PRIMARY KEY (id)`);
    await q.query(`CREATE INDEX flows_start_idx ON flows (start_ts)`);
  }
}
