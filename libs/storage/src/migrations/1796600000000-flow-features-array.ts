import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The 88 feature names of libs/flows FLOW_FEATURE_NAMES as of this migration, in their order:
 * feature set 1. A frozen copy (a migration must do the same thing forever); the storage spec
 * checks that the live list still equals it, so a change of the list is noticed.
 */
export const FEATURE_SET_1 = [
  'Protocol', 'Flow Duration', 'Total Fwd Packet', 'Total Bwd packets', 'Total Length of Fwd Packet',
  'Total Length of Bwd Packet', 'Fwd Packet Length Max', 'Fwd Packet Length Min', 'Fwd Packet Length Mean',
  'Fwd Packet Length Std', 'Bwd Packet Length Max', 'Bwd Packet Length Min', 'Bwd Packet Length Mean',
  'Bwd Packet Length Std', 'Flow Bytes/s', 'Flow Packets/s', 'Flow IAT Mean', 'Flow IAT Std', 'Flow IAT Max',
  'Flow IAT Min', 'Fwd IAT Total', 'Fwd IAT Mean', 'Fwd IAT Std', 'Fwd IAT Max', 'Fwd IAT Min',
  'Bwd IAT Total', 'Bwd IAT Mean', 'Bwd IAT Std', 'Bwd IAT Max', 'Bwd IAT Min', 'Fwd PSH Flags',
  'Bwd PSH Flags', 'Fwd URG Flags', 'Bwd URG Flags', 'Fwd Header Length', 'Bwd Header Length',
  'Fwd Packets/s', 'Bwd Packets/s', 'Packet Length Min', 'Packet Length Max', 'Packet Length Mean',
  'Packet Length Std', 'Packet Length Variance', 'FIN Flag Count', 'SYN Flag Count', 'RST Flag Count',
  'PSH Flag Count', 'ACK Flag Count', 'URG Flag Count', 'CWR Flag Count', 'ECE Flag Count', 'Down/Up Ratio',
  'Average Packet Size', 'Fwd Segment Size Avg', 'Bwd Segment Size Avg', 'Fwd Bytes/Bulk Avg',
  'Fwd Packet/Bulk Avg', 'Fwd Bulk Rate Avg', 'Bwd Bytes/Bulk Avg', 'Bwd Packet/Bulk Avg',
  'Bwd Bulk Rate Avg', 'Subflow Fwd Packets', 'Subflow Fwd Bytes', 'Subflow Bwd Packets',
  'Subflow Bwd Bytes', 'FWD Init Win Bytes', 'Bwd Init Win Bytes', 'Fwd Act Data Pkts', 'Fwd Seg Size Min',
  'Active Mean', 'Active Std', 'Active Max', 'Active Min', 'Idle Mean', 'Idle Std', 'Idle Max', 'Idle Min',
  'Fwd Bytes', 'Bwd Bytes', 'Flow Wire Bytes/s', 'SYN-ACK Flag Count', 'Fwd Init TTL', 'Bwd Init TTL',
  'Fwd Payloadless Packets', 'Bwd Payloadless Packets', 'Fwd Fragments', 'Bwd Fragments', 'Fragment Bucket',
] as const;

/**
 * flows.features from `jsonb` (names repeated in every row, parsed number by number) to
 * `float8[]`: the values in the order of a named feature set, `flows.feature_set` naming it.
 * `feature_sets` holds each list of names once; set 1 is the canonical FLOW_FEATURE_NAMES list,
 * other lists (another producer, a future feature list) get the next id when first stored.
 *
 * Existing rows: a row whose names are exactly set 1's (in any key order, as jsonb keeps them)
 * becomes set 1 in canonical order; any other row gets a set of its own names, sorted. So no
 * value is lost and no default is invented (no NULL elements). `down` rebuilds the jsonb object
 * from names and values (NULL elements, which the writers never produce, are left out).
 */
export class FlowFeaturesArray1796600000000 implements MigrationInterface {
  name = 'FlowFeaturesArray1796600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE feature_sets (
        id smallserial PRIMARY KEY,
        names text[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX feature_sets_names_uq ON feature_sets (names)`);
    await q.query(`INSERT INTO feature_sets (names) VALUES ($1::text[])`, [[...FEATURE_SET_1]]);
    // Every other distinct name list among the stored rows, sorted.
    await q.query(`
      INSERT INTO feature_sets (names)
      SELECT DISTINCT ARRAY(SELECT k FROM jsonb_object_keys(features) AS k ORDER BY k)
        FROM flows
       WHERE NOT (features ?& $1::text[] AND (SELECT count(*) FROM jsonb_object_keys(features)) = cardinality($1::text[]))
      ON CONFLICT (names) DO NOTHING`, [[...FEATURE_SET_1]]);
    await q.query(`ALTER TABLE flows ADD COLUMN feature_set smallint, ADD COLUMN features_a double precision[]`);
    await q.query(`
      UPDATE flows f
         SET feature_set = s.id,
             features_a = ARRAY(SELECT (f.features ->> u.n)::double precision FROM unnest(s.names) WITH ORDINALITY AS u(n, o) ORDER BY u.o)
        FROM feature_sets s
       WHERE s.id = CASE
               WHEN f.features ?& $1::text[] AND (SELECT count(*) FROM jsonb_object_keys(f.features)) = cardinality($1::text[]) THEN 1
               ELSE (SELECT id FROM feature_sets WHERE names = ARRAY(SELECT k FROM jsonb_object_keys(f.features) AS k ORDER BY k))
             END`, [[...FEATURE_SET_1]]);
    await q.query(`ALTER TABLE flows DROP COLUMN features`);
    await q.query(`ALTER TABLE flows RENAME COLUMN features_a TO features`);
    await q.query(`ALTER TABLE flows ALTER COLUMN features SET NOT NULL, ALTER COLUMN feature_set SET NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE flows ADD COLUMN features_j jsonb`);
    await q.query(`
      UPDATE flows f
         SET features_j = coalesce(
               (SELECT jsonb_object_agg(u.n, u.v) FROM unnest(s.names, f.features) AS u(n, v) WHERE u.n IS NOT NULL AND u.v IS NOT NULL),
               '{}'::jsonb)
        FROM feature_sets s
       WHERE s.id = f.feature_set`);
    await q.query(`UPDATE flows SET features_j = '{}'::jsonb WHERE features_j IS NULL`);
    await q.query(`ALTER TABLE flows DROP COLUMN features, DROP COLUMN feature_set`);
    await q.query(`ALTER TABLE flows RENAME COLUMN features_j TO features`);
    await q.query(`ALTER TABLE flows ALTER COLUMN features SET NOT NULL`);
    await q.query(`DROP TABLE feature_sets`);
  }
}
