import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Rows converted per statement (keyset pages by id). */
const PAGE = 5000;

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A float8[] row value (as node-pg parses it: numbers, null for NULL elements) -> the little-endian float64 block; NULL -> NaN. */
function toBlock(values: readonly (number | null)[]): Buffer {
  const v = new Float64Array(values.length);
  for (let k = 0; k < values.length; k++) v[k] = values[k] ?? Number.NaN;
  const b = Buffer.from(v.buffer);
  if (!HOST_LE) b.swap64();
  return b;
}

/** The block -> a float8[] literal, exactly (shortest round-trip text, -0 kept); non-finite -> NULL. */
function toArrayText(block: Buffer): string {
  const b = Buffer.from(block); // own, aligned copy
  if (!HOST_LE) b.swap64();
  const v = new Float64Array(b.buffer, b.byteOffset, Math.floor(b.length / 8));
  const parts: string[] = new Array<string>(v.length);
  for (let k = 0; k < v.length; k++) {
    const x = v[k];
    parts[k] = !Number.isFinite(x) ? 'NULL' : Object.is(x, -0) ? '-0' : String(x);
  }
  return `{${parts.join(',')}}`;
}

/** Every row's `from` column converted by `convert` into column `to`, a page of ids at a time. */
async function convertRows(q: QueryRunner, from: string, to: string, toType: string, cast: string, convert: (value: never) => unknown): Promise<void> {
  let last: string | null = null;
  for (;;) {
    const rows: { id: string; v: never }[] = await q.query(
      `SELECT id, ${from} AS v FROM flows ${last === null ? '' : 'WHERE id > $1'} ORDER BY id LIMIT ${PAGE}`,
      last === null ? [] : [last],
    );
    if (!rows.length) return;
    await q.query(`UPDATE flows f SET ${to} = u.v${cast} FROM unnest($1::text[], $2::${toType}[]) AS u(id, v) WHERE f.id = u.id`, [
      rows.map((r) => r.id),
      rows.map((r) => convert(r.v)),
    ]);
    last = rows[rows.length - 1].id;
  }
}

/**
 * The write path of `flows` made cheaper for PostgreSQL (docs/bench/pipeline.md, detector, H6 of 2026-12-07):
 *
 * - `features` from `float8[]` (88 values parsed from text per row) to `bytea`: the values of the
 *   row's feature set as one block of little-endian IEEE-754 float64s (8 bytes per value, nothing
 *   else), written by binary COPY straight from the flow batch's feature column. A NULL element
 *   (the writers never produce one) becomes a NaN, which the writers never produce either, and
 *   comes back as NULL in `down`; readers refuse a row with a non-finite value as they refused a
 *   NULL element. The values are converted here in JavaScript, a page of rows per statement
 *   (element-wise SQL took ~3 µs per value: 20 min for 340 k rows).
 * - `id` collates "C" (bytewise): the primary key compares ids on every insert, and the database
 *   default (C.UTF-8) goes through strcoll. For the ids the writers store (printable ASCII) the
 *   order is the same.
 * - `flows_sensor_start_idx` dropped: no console query filters flows by sensor; the training
 *   window by sensor (the retrain scheduler, optional) reads its time window through
 *   `flows_start_idx` and filters the sensor (EXPLAIN in docs/bench/pipeline.md).
 * - `flows_stored_idx` (btree) replaced by `flows_stored_brin` (BRIN): only retention reads
 *   `stored_at`, rows are appended in stored_at order, and a BRIN summary costs almost nothing
 *   per insert. Page ranges filled since the last summary are not summarised yet and would be
 *   read whole: autosummarize asks autovacuum to summarise each range as it fills, and
 *   applyRetention summarises what is left before it looks for old rows.
 */
export class FlowFeaturesBytea1796700000000 implements MigrationInterface {
  name = 'FlowFeaturesBytea1796700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE flows ADD COLUMN features_b bytea`);
    await convertRows(q, 'features', 'features_b', 'bytea', '', toBlock as (v: never) => unknown);
    await q.query(`ALTER TABLE flows DROP COLUMN features`);
    await q.query(`ALTER TABLE flows RENAME COLUMN features_b TO features`);
    await q.query(`ALTER TABLE flows ALTER COLUMN features SET NOT NULL`);
    await q.query(`ALTER TABLE flows ALTER COLUMN id TYPE text COLLATE "C"`);
    await q.query(`DROP INDEX flows_sensor_start_idx`);
    await q.query(`DROP INDEX flows_stored_idx`);
    await q.query(`CREATE INDEX flows_stored_brin ON flows USING brin (stored_at) WITH (autosummarize = on)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX flows_stored_brin`);
    await q.query(`CREATE INDEX flows_stored_idx ON flows (stored_at)`);
    await q.query(`CREATE INDEX flows_sensor_start_idx ON flows (sensor, start_ts)`);
    await q.query(`ALTER TABLE flows ALTER COLUMN id TYPE text COLLATE "default"`);
    await q.query(`ALTER TABLE flows ADD COLUMN features_a double precision[]`);
    await convertRows(q, 'features', 'features_a', 'text', '::double precision[]', toArrayText as (v: never) => unknown);
    await q.query(`ALTER TABLE flows DROP COLUMN features`);
    await q.query(`ALTER TABLE flows RENAME COLUMN features_a TO features`);
    await q.query(`ALTER TABLE flows ALTER COLUMN features SET NOT NULL`);
  }
}
