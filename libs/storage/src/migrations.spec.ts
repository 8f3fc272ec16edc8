import { createTestDatabase, type TestDatabase } from '@netsentry/testing';
import { Client } from 'pg';
import { createDataSource, migrateDatabase, revertLastMigration } from './data-source';
// Test-only: the spec checks that feature set 1 (a frozen copy in the migration) is still libs/flows's
// list, so a change of that list is noticed here. Storage code itself never imports libs/flows.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { FLOW_FEATURE_NAMES } from '@netsentry/flows';
import { FEATURE_SET_1 } from './migrations/1796600000000-flow-features-array';
import { featureBlock, featureValues } from './feature-block';
import { PAGE as PACK_PAGE } from './migrations/1797100000000-flow-features-packed';

const TABLES = ['alerts', 'anomalies', 'feature_sets', 'flows', 'models', 'sensors', 'stats'];
const ALL = ['InitialSchema1763900000000', 'FlowFeaturesArray1796600000000', 'FlowFeaturesBytea1796700000000', 'FlowsTimeKey1796800000000', 'AlertSupersededBy1796900000000', 'AlertIncludes1797000000000', 'FlowFeaturesPacked1797100000000'];
/** The migrations after `name`, in order. */
const after = (name: string): string[] => ALL.slice(ALL.indexOf(name) + 1);

/** Reverts every migration after `name` (all applied). */
async function revertAfter(url: string, name: string): Promise<void> {
  for (let k = after(name).length; k > 0; k--) expect(await revertLastMigration(url)).toBe(true);
}

/** The values of a packed `features` block. */
const packed = (b: Buffer): number[] => Array.from(featureValues(b) ?? [Number.NaN]);

async function tables(url: string): Promise<string[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'typeorm_migrations' ORDER BY 1`,
    );
    return r.rows.map((x: { table_name: string }) => x.table_name);
  } finally {
    await c.end();
  }
}

/**
 * A second database beside `db` (created by the first migration, as a real deployment's is),
 * with a one-shot query helper and a forced drop for `finally`.
 */
function scratchDatabase(db: TestDatabase, suffix: string): { url: string; name: string; sql: (text: string, args?: unknown[]) => Promise<Record<string, unknown>[]>; drop: () => Promise<void> } {
  const u = new URL(db.url);
  const name = `${db.name}_${suffix}`;
  u.pathname = `/${name}`;
  const url = u.toString();
  const sql = async (text: string, args: unknown[] = []): Promise<Record<string, unknown>[]> => {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query(text, args)).rows;
    } finally {
      await c.end();
    }
  };
  const drop = async (): Promise<void> => {
    const c = new Client({ connectionString: db.url.replace(/\/[^/]*$/, '/postgres') });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.end();
  };
  return { url, name, sql, drop };
}

describe('storage migrations on a fresh database', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('applies the initial schema, matches the entities, and rolls back to nothing', async () => {
    expect(await tables(db.url)).toEqual([]);
    expect(await migrateDatabase(db.url)).toEqual(ALL);
    expect(await tables(db.url)).toEqual(TABLES);

    // The entities describe exactly what the migration built: TypeORM would change nothing.
    const ds = await createDataSource({ url: db.url, poolSize: 1 }).initialize();
    try {
      const pending = await ds.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      // ...and the check is live: a missing index is noticed.
      await ds.query('DROP INDEX alerts_type_end_idx');
      const drift = await ds.driver.createSchemaBuilder().log();
      expect(drift.upQueries.map((q) => q.query).join('\n')).toMatch(/alerts_type_end_idx/);
      await ds.query('CREATE INDEX alerts_type_end_idx ON alerts (type, end_ts)');
    } finally {
      await ds.destroy();
    }

    expect(await migrateDatabase(db.url)).toEqual([]); // idempotent
    for (let k = 0; k < ALL.length; k++) expect(await revertLastMigration(db.url)).toBe(true);
    expect(await tables(db.url)).toEqual([]);
    expect(await revertLastMigration(db.url)).toBe(false);
    expect(await migrateDatabase(db.url)).toEqual(ALL); // and forward again
    expect(await tables(db.url)).toEqual(TABLES);
  });

  it('creates the database when it is missing', async () => {
    const extra = scratchDatabase(db, 'new');
    try {
      expect(await migrateDatabase(extra.url)).toEqual(ALL);
      expect(await tables(extra.url)).toEqual(TABLES);
    } finally {
      await extra.drop();
    }
  });

  it('converts stored jsonb features to float8[] by feature set and back', async () => {
    const { url, sql, drop } = scratchDatabase(db, 'ff');
    try {
      expect(await migrateDatabase(url)).toEqual(ALL);
      await revertAfter(url, 'InitialSchema1763900000000'); // back to jsonb features
      const canonical = Object.fromEntries([...FLOW_FEATURE_NAMES].reverse().map((n, k) => [n, k + 0.5]));
      const rows: [string, Record<string, number>][] = [
        ['a', canonical],
        ['b', { z: 1, a: -2.5, 'q"\\x': 1e-300 }],
        ['c', {}],
        ['d', { a: 3, z: 4, 'q"\\x': 5 }],
      ];
      for (const [id, f] of rows) {
        await sql(
          `INSERT INTO flows (id, sensor, proto, src_ip, src_port, dst_ip, dst_port, vlan, vlan_inner, start_ts, end_ts, end_reason, state,
             service, fwd_packets, bwd_packets, fwd_bytes, bwd_bytes, features)
           VALUES ($1, 's', 6, '10.0.0.1', 1, '10.0.0.2', 2, 0, 0, 1, 2, 'idle', 'established', 'x', 1, 1, 1, 1, $2)`,
          [id, JSON.stringify(f)],
        );
      }
      // jsonb -> float8[] -> bytea -> packed (the values read back from the packed block).
      expect(await migrateDatabase(url)).toEqual(after('InitialSchema1763900000000'));
      const sets = await sql('SELECT id, names FROM feature_sets ORDER BY id');
      // Set 1 is the canonical list, still libs/flows's (a change of that list must come with a new set).
      expect(sets[0]).toEqual({ id: 1, names: [...FLOW_FEATURE_NAMES] });
      expect([...FEATURE_SET_1]).toEqual([...FLOW_FEATURE_NAMES]);
      const stored = (await sql('SELECT id, feature_set, features FROM flows ORDER BY id')).map((r): Record<string, unknown> => ({ ...r, features: packed(r.features as Buffer) }));
      const names = new Map(sets.map((x) => [x.id as number, x.names as string[]]));
      expect(stored[0]).toEqual({ id: 'a', feature_set: 1, features: FLOW_FEATURE_NAMES.map((n) => canonical[n]) });
      expect(names.get(stored[1].feature_set as number)).toEqual(['a', 'q"\\x', 'z']);
      expect(stored[1].features).toEqual([-2.5, 1e-300, 1]);
      expect(names.get(stored[2].feature_set as number)).toEqual([]);
      expect(stored[2].features).toEqual([]);
      expect(stored[3].feature_set).toBe(stored[1].feature_set); // same names, one set
      expect(stored[3].features).toEqual([3, 5, 4]);
      expect(sets).toHaveLength(3);

      await revertAfter(url, 'InitialSchema1763900000000');
      const back = await sql('SELECT id, features FROM flows ORDER BY id');
      expect(back.map((x) => [x.id, x.features])).toEqual(rows);
      expect(await tables(url)).toEqual(TABLES.filter((t) => t !== 'feature_sets'));
    } finally {
      await drop();
    }
  });

  it('converts float8[] features to little-endian float64 bytea and back, bit for bit (NULL elements as NaN and back)', async () => {
    const { url, sql, drop } = scratchDatabase(db, 'fb');
    try {
      expect(await migrateDatabase(url)).toEqual(ALL);
      await revertAfter(url, 'FlowFeaturesArray1796600000000'); // back to float8[]
      // Extremes of float8: subnormals, the largest finite, -0, values with no short decimal form.
      const values = [0, -0, 1, -2.5, 0.1, 1 / 3, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, 1e-300, 1.7976931348623157e308,
        -1.7976931348623157e308, 2 ** 53 + 2, 123456789.123456789, Math.PI, -Math.E];
      const rows: [string, string][] = [
        ['a', `{${values.map((v) => (Object.is(v, -0) ? '-0' : String(v))).join(',')}}`],
        ['b', '{}'],
        ['c', '{1.5,NULL,-3}'],
      ];
      for (const [id, arr] of rows) {
        await sql(
          `INSERT INTO flows (id, sensor, proto, src_ip, src_port, dst_ip, dst_port, vlan, vlan_inner, start_ts, end_ts, end_reason, state,
             service, fwd_packets, bwd_packets, fwd_bytes, bwd_bytes, feature_set, features)
           VALUES ($1, 's', 6, '10.0.0.1', 1, '10.0.0.2', 2, 0, 0, 1, 2, 'idle', 'established', 'x', 1, 1, 1, 1, 1, $2::float8[])`,
          [id, arr],
        );
      }
      expect(await migrateDatabase(url)).toEqual(after('FlowFeaturesArray1796600000000'));
      await revertAfter(url, 'FlowFeaturesBytea1796700000000'); // this test is about the bytea step
      const stored = await sql('SELECT id, features FROM flows ORDER BY id');
      const expected = Buffer.from(new Float64Array(values).buffer);
      expect((stored[0].features as Buffer).equals(expected)).toBe(true); // bit for bit, -0 and subnormals included
      expect((stored[1].features as Buffer).length).toBe(0);
      const c = stored[2].features as Buffer;
      expect([c.readDoubleLE(0), c.readDoubleLE(16)]).toEqual([1.5, -3]);
      expect(Number.isNaN(c.readDoubleLE(8))).toBe(true); // the NULL element
      const idx: { indexname: string; indexdef: string }[] = (await sql(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'flows' ORDER BY 1`)) as never;
      expect(idx.map((x) => x.indexname)).toEqual(['flows_dst_start_idx', 'flows_pkey', 'flows_src_start_idx', 'flows_start_idx', 'flows_stored_brin']);
      expect(idx.find((x) => x.indexname === 'flows_stored_brin')?.indexdef).toMatch(/USING brin \(stored_at\)/);
      expect((await sql(`SELECT collation_name FROM information_schema.columns WHERE table_name = 'flows' AND column_name = 'id'`))[0].collation_name).toBe('C');

      expect(await revertLastMigration(url)).toBe(true);
      const back = await sql('SELECT id, features::text AS t, features FROM flows ORDER BY id');
      const a = back[0].features as number[];
      expect(a).toHaveLength(values.length);
      for (let k = 0; k < values.length; k++) expect(Object.is(a[k], values[k])).toBe(true);
      expect(back[1].t).toBe('{}');
      expect(back[2].features).toEqual([1.5, null, -3]);
      expect((await sql(`SELECT indexname FROM pg_indexes WHERE tablename = 'flows' ORDER BY 1`)).map((x) => x.indexname)).toEqual([
        'flows_dst_start_idx', 'flows_pkey', 'flows_sensor_start_idx', 'flows_src_start_idx', 'flows_start_idx', 'flows_stored_idx',
      ]);
    } finally {
      await drop();
    }
  });
  it('packs float64 features (zeros and small integers in few bytes) and back, bit for bit (-0 and NaN too); a broken block emptied', async () => {
    const { url, sql, drop } = scratchDatabase(db, 'fp');
    try {
      expect(await migrateDatabase(url)).toEqual(ALL);
      await revertAfter(url, 'AlertIncludes1797000000000'); // plain float64s
      const f64 = (v: number[]): Buffer => Buffer.from(new Float64Array(v).buffer);
      const values = [0, -0, 1, -2.5, 0.1, 1 / 3, 5e-324, 32767, -32768, 32768, 2 ** 53 + 2, 1.7976931348623157e308, Math.fround(0.1), 123456789.123456789];
      const zeros = new Array<number>(88).fill(0);
      const rows: [string, number, Buffer][] = [
        ['a', 1, f64(values)],
        ['b', 2, f64(zeros)],
        ['c', 3, f64([1.5, Number.NaN, -3])], // NaN: a NULL element of a float8[] row
        ['d', 4, Buffer.from([1, 2, 3, 4, 5])], // not whole float64s (never written)
        ['e', 5, Buffer.alloc(0)],
      ];
      for (let k = 0; k < PACK_PAGE + 3; k++) rows.push([`p${k}`, 10 + k, f64([k, k / 7])]); // more than one page
      for (const [id, start, block] of rows) {
        await sql(
          `INSERT INTO flows (id, sensor, proto, src_ip, src_port, dst_ip, dst_port, vlan, vlan_inner, start_ts, end_ts, end_reason, state,
             service, fwd_packets, bwd_packets, fwd_bytes, bwd_bytes, feature_set, features)
           VALUES ($1, 's', 6, '10.0.0.1', 1, '10.0.0.2', 2, 0, 0, $2::float8, $2::float8 + 1, 'idle', 'established', 'x', 1, 1, 1, 1, 1, $3)`,
          [id, start, block],
        );
      }
      expect(await migrateDatabase(url)).toEqual(['FlowFeaturesPacked1797100000000']);
      const stored = new Map((await sql('SELECT id, features FROM flows')).map((r) => [r.id as string, r.features as Buffer]));
      expect(packed(stored.get('a')!)).toEqual(values.map((x) => x + 0));
      expect(stored.get('a')!.equals(featureBlock(values))).toBe(true);
      expect(stored.get('b')!.length).toBe(3 + 22); // 88 zeros: the header and the classes only
      expect(featureValues(stored.get('c'))).toBeUndefined(); // readers still refuse the NaN row...
      expect(stored.get('d')!.length).toBe(0); // ...and the broken one
      expect(packed(stored.get('e')!)).toEqual([]);
      const wrongPages = rows.filter(([id]) => id.startsWith('p')).filter(([id, k]) => packed(stored.get(id)!).join() !== [k - 10, (k - 10) / 7].join());
      expect(wrongPages).toEqual([]);

      expect(await revertLastMigration(url)).toBe(true);
      const back = new Map((await sql('SELECT id, features FROM flows')).map((r) => [r.id as string, r.features as Buffer]));
      expect(back.get('a')!.equals(f64(values))).toBe(true); // bit for bit, -0 and subnormals included
      expect(back.get('b')!.equals(f64(zeros))).toBe(true);
      expect(back.get('c')!.equals(f64([1.5, Number.NaN, -3]))).toBe(true);
      expect(back.get('d')!.length).toBe(0);
      expect(back.get('e')!.length).toBe(0);
      expect(rows.filter(([id, , block]) => id.startsWith('p') && !back.get(id)!.equals(block))).toEqual([]);
    } finally {
      await drop();
    }
  });

  it('keys flows by (start_ts, id) and drops the start index; down restores both', async () => {
    const { url, sql, drop } = scratchDatabase(db, 'tk');
    const insert = (id: string, start: number): Promise<unknown> =>
      sql(
        `INSERT INTO flows (id, sensor, proto, src_ip, src_port, dst_ip, dst_port, vlan, vlan_inner, start_ts, end_ts, end_reason, state,
           service, fwd_packets, bwd_packets, fwd_bytes, bwd_bytes, feature_set, features)
         VALUES ($1, 's', 6, '10.0.0.1', 1, '10.0.0.2', 2, 0, 0, $2::float8, $2::float8 + 1, 'idle', 'established', 'x', 1, 1, 1, 1, 1, '')`,
        [id, start],
      );
    const indexes = async (): Promise<string[]> => (await sql(`SELECT indexname FROM pg_indexes WHERE tablename = 'flows' ORDER BY 1`)).map((x) => x.indexname as string);
    const keyColumns = async (): Promise<string[]> =>
      (
        await sql(
          `SELECT a.attname FROM pg_index i JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
           WHERE i.indrelid = 'flows'::regclass AND i.indisprimary ORDER BY k.n`,
        )
      ).map((x) => x.attname as string);
    try {
      expect(await migrateDatabase(url)).toEqual(ALL);
      expect(await keyColumns()).toEqual(['start_ts', 'id']);
      expect(await indexes()).toEqual(['flows_dst_start_idx', 'flows_pkey', 'flows_src_start_idx', 'flows_stored_brin']);
      await insert('a', 10);
      await expect(insert('a', 10)).rejects.toThrow(/flows_pkey/); // the same flow again
      await insert('b', 11);
      // The newest-flows query can read the key backwards (no sort). Two rows would be scanned
      // cheaper to read whole and sort, so the planner is told not to, as on a real table it would not.
      const c = new Client({ connectionString: url });
      await c.connect();
      try {
        for (const k of ['seqscan', 'bitmapscan', 'sort']) await c.query(`SET enable_${k} = off`);
        const plan = (await c.query(`EXPLAIN SELECT id FROM flows ORDER BY start_ts DESC LIMIT 200`)).rows.map((x) => x['QUERY PLAN']).join('\n');
        expect(plan).toMatch(/Index (Only )?Scan Backward using flows_pkey/);
        expect(plan).not.toMatch(/Sort/);
      } finally {
        await c.end();
      }

      await revertAfter(url, 'FlowFeaturesBytea1796700000000');
      expect(await keyColumns()).toEqual(['id']);
      expect(await indexes()).toEqual(['flows_dst_start_idx', 'flows_pkey', 'flows_src_start_idx', 'flows_start_idx', 'flows_stored_brin']);
      expect((await sql('SELECT id, start_ts FROM flows ORDER BY id')).map((x) => [x.id, x.start_ts])).toEqual([['a', 10], ['b', 11]]);

      // One id at two starts fits the new key but not the old one: down says so and changes nothing.
      expect(await migrateDatabase(url)).toEqual(after('FlowFeaturesBytea1796700000000'));
      await insert('a', 12);
      await revertAfter(url, 'FlowsTimeKey1796800000000');
      await expect(revertLastMigration(url)).rejects.toThrow(/flow id a is stored with more than one start time/);
      expect(await keyColumns()).toEqual(['start_ts', 'id']);
      expect(await sql('SELECT count(*)::int AS n FROM flows')).toEqual([{ n: 3 }]);
    } finally {
      await drop();
    }
  });

  // Nullable alert columns added after the first release: existing alerts keep NULL, down drops
  // the column and keeps the alerts (the migrations after this one are reverted first).
  it.each([
    { column: 'superseded_by', migration: 'AlertSupersededBy1796900000000', dataType: 'text', value: `'ddos-1'` },
    { column: 'includes', migration: 'AlertIncludes1797000000000', dataType: 'ARRAY', value: `'{syn_flood}'` },
  ])('adds alerts.$column (nullable $dataType, existing alerts keep NULL); down drops it and keeps the alerts', async ({ column: name, migration, dataType, value }) => {
    const later = after(migration);
    const { url, sql, drop } = scratchDatabase(db, `col_${name}`);
    const column = async (): Promise<Record<string, unknown>[]> =>
      sql(`SELECT data_type, is_nullable, column_default FROM information_schema.columns WHERE table_name = 'alerts' AND column_name = $1`, [name]);
    const revertLater = async (): Promise<void> => {
      for (let k = 0; k < later.length; k++) expect(await revertLastMigration(url)).toBe(true);
    };
    try {
      expect(await migrateDatabase(url)).toEqual(ALL);
      await revertLater();
      expect(await revertLastMigration(url)).toBe(true);
      expect(await column()).toEqual([]);
      await sql(
        `INSERT INTO alerts (id, type, severity, severity_rank, sources, targets, start_ts, end_ts, summary, evidence, sensor)
         VALUES ('udp_flood-1', 'udp_flood', 'high', 3, '{}', '{10.10.10.10}', 1, 2, 's', '[]', 'x')`,
      );
      expect(await migrateDatabase(url)).toEqual([migration, ...later]);
      await revertLater();
      expect(await column()).toEqual([{ data_type: dataType, is_nullable: 'YES', column_default: null }]);
      expect(await sql(`SELECT id, ${name} AS v FROM alerts`)).toEqual([{ id: 'udp_flood-1', v: null }]);
      await sql(`UPDATE alerts SET ${name} = ${value}`);
      expect(await revertLastMigration(url)).toBe(true);
      expect(await column()).toEqual([]);
      expect(await sql(`SELECT id FROM alerts`)).toEqual([{ id: 'udp_flood-1' }]);
    } finally {
      await drop();
    }
  });
});
