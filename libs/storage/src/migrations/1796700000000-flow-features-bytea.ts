import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Hex text of 8 bytes in the opposite byte order (float8send is big-endian; the stored block little-endian). */
const REVERSED_HEX = (be: string): string => String.raw`regexp_replace(reverse(encode(${be}, 'hex')), '(.)(.)', '\2\1', 'g')`;

/**
 * The write path of `flows` made cheaper for PostgreSQL (docs/bench/pipeline.md, detector, 2026-12-07 H6):
 *
 * - `features` from `float8[]` (88 values parsed from text per row) to `bytea`: the values of the
 *   row's feature set as one block of little-endian IEEE-754 float64s (8 bytes per value, nothing
 *   else), written by binary COPY straight from the flow batch's feature column. A NULL element
 *   (the writers never produce one) becomes a NaN, which the writers never produce either, and
 *   comes back as NULL in `down`; readers refuse a row with a non-finite value as they refused a
 *   NULL element.
 * - `id` collates "C" (bytewise): the primary key compares 32-byte ids on every insert, and the
 *   database default (C.UTF-8) goes through strcoll. For the ids the writers store (printable
 *   ASCII) the order is the same.
 * - `flows_sensor_start_idx` dropped: no console query filters flows by sensor; the training
 *   window by sensor (the retrain scheduler, optional) reads its time window through
 *   `flows_start_idx` and filters the sensor (EXPLAIN in docs/bench/pipeline.md).
 * - `flows_stored_idx` (btree) replaced by `flows_stored_brin` (BRIN): only retention reads
 *   `stored_at`, rows are appended in stored_at order, and a BRIN summary costs almost nothing
 *   per insert.
 */
export class FlowFeaturesBytea1796700000000 implements MigrationInterface {
  name = 'FlowFeaturesBytea1796700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE flows ADD COLUMN features_b bytea`);
    // Element by element: float8send (big-endian) reversed byte-wise; NULL -> NaN (7ff8000000000000).
    await q.query(`
      UPDATE flows f
         SET features_b = coalesce(
               (SELECT decode(string_agg(${REVERSED_HEX(`coalesce(float8send(u.v), decode('7ff8000000000000', 'hex'))`)}, '' ORDER BY u.o), 'hex')
                  FROM unnest(f.features) WITH ORDINALITY AS u(v, o)),
               ''::bytea)`);
    await q.query(`ALTER TABLE flows DROP COLUMN features`);
    await q.query(`ALTER TABLE flows RENAME COLUMN features_b TO features`);
    await q.query(`ALTER TABLE flows ALTER COLUMN features SET NOT NULL`);
    await q.query(`ALTER TABLE flows ALTER COLUMN id TYPE text COLLATE "C"`);
    await q.query(`DROP INDEX flows_sensor_start_idx`);
    await q.query(`DROP INDEX flows_stored_idx`);
    await q.query(`CREATE INDEX flows_stored_brin ON flows USING brin (stored_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX flows_stored_brin`);
    await q.query(`CREATE INDEX flows_stored_idx ON flows (stored_at)`);
    await q.query(`CREATE INDEX flows_sensor_start_idx ON flows (sensor, start_ts)`);
    await q.query(`ALTER TABLE flows ALTER COLUMN id TYPE text COLLATE "default"`);
    await q.query(`ALTER TABLE flows ADD COLUMN features_a double precision[]`);
    // Each 8-byte little-endian word -> its bits as a bigint -> the float8 they encode, computed
    // exactly (sign × mantissa × a power of two); exponent 2047 (NaN, the NULL marker; ±Infinity,
    // never written) -> NULL.
    await q.query(`
      UPDATE flows f
         SET features_a = coalesce(
               (SELECT array_agg(
                         CASE WHEN x.e = 2047 THEN NULL
                              WHEN x.e = 0 THEN x.sg * (x.m::float8 * (2::float8 ^ -1074))
                              ELSE x.sg * ((1::float8 + x.m::float8 * (2::float8 ^ -52)) * (2::float8 ^ (x.e - 1023)))
                         END ORDER BY x.k)
                  FROM (SELECT y.k, (y.b >> 52) & 2047 AS e, y.b & 4503599627370495 AS m,
                               CASE WHEN y.b < 0 THEN -1::float8 ELSE 1::float8 END AS sg
                          FROM (SELECT k, ('x' || ${REVERSED_HEX(`substring(f.features FROM k * 8 + 1 FOR 8)`)})::bit(64)::bigint AS b
                                  FROM generate_series(0, length(f.features) / 8 - 1) AS k) y) x),
               '{}'::double precision[])`);
    await q.query(`ALTER TABLE flows DROP COLUMN features`);
    await q.query(`ALTER TABLE flows RENAME COLUMN features_a TO features`);
    await q.query(`ALTER TABLE flows ALTER COLUMN features SET NOT NULL`);
  }
}
