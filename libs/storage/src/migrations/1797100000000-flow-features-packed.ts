import type { MigrationInterface, QueryRunner } from 'typeorm';
import { featureBlock, featureValuesRaw } from '../feature-block';

/** Rows converted per statement (keyset pages by the key). */
export const PAGE = 5000;

/** A block of little-endian float64s -> its values; undefined when it is not whole 8-byte words. */
function float64s(b: Buffer): Float64Array | undefined {
  if (b.length % 8 !== 0) return undefined;
  const v = new Float64Array(b.length / 8);
  for (let k = 0; k < v.length; k++) v[k] = b.readDoubleLE(k * 8);
  return v;
}

/** Values -> a block of little-endian float64s. */
function float64Block(v: Float64Array): Buffer {
  const b = Buffer.allocUnsafe(v.length * 8);
  for (let k = 0; k < v.length; k++) b.writeDoubleLE(v[k], k * 8);
  return b;
}

/** Every row's `features` replaced by `convert` of it, a page of keys at a time. */
async function convertRows(q: QueryRunner, convert: (block: Buffer) => Buffer): Promise<void> {
  let last: { start_ts: number; id: string } | null = null;
  for (;;) {
    const rows: { start_ts: number; id: string; features: Buffer }[] = await q.query(
      `SELECT start_ts, id, features FROM flows ${last ? 'WHERE (start_ts, id) > ($1, $2)' : ''} ORDER BY start_ts, id LIMIT ${PAGE}`,
      last ? [last.start_ts, last.id] : [],
    );
    if (!rows.length) return;
    await q.query(
      `UPDATE flows f SET features = u.v FROM unnest($1::float8[], $2::text[], $3::bytea[]) AS u(s, id, v) WHERE f.start_ts = u.s AND f.id = u.id`,
      [rows.map((r) => r.start_ts), rows.map((r) => r.id), rows.map((r) => convert(r.features))],
    );
    last = rows[rows.length - 1];
  }
}

/**
 * `flows.features` from plain little-endian float64s (8 bytes per value) to the packed block of
 * feature-block.ts (zeros in no bytes, small integers in 2, float32-exact values in 4): the same
 * values, a third of the bytes PostgreSQL writes per stored flood flow (docs/bench/pipeline.md).
 * Values are kept bit for bit both ways, -0 and non-finite ones too (NaN marks a NULL element of a
 * row older than the bytea form; readers still refuse such rows). A block that is not whole
 * values (never written) becomes an empty bytea, which readers refuse as they refused it before.
 */
export class FlowFeaturesPacked1797100000000 implements MigrationInterface {
  name = 'FlowFeaturesPacked1797100000000';

  async up(q: QueryRunner): Promise<void> {
    await convertRows(q, (b) => {
      const v = float64s(b);
      return v ? featureBlock(v) : Buffer.alloc(0);
    });
  }

  async down(q: QueryRunner): Promise<void> {
    await convertRows(q, (b) => {
      const v = featureValuesRaw(b);
      return v ? float64Block(v) : Buffer.alloc(0);
    });
  }
}
