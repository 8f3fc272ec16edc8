import { createTestDatabase, type TestDatabase } from '@netsentry/testing';
import { Client } from 'pg';
import { createDataSource, migrateDatabase, revertLastMigration } from './data-source';

const TABLES = ['alerts', 'anomalies', 'flows', 'models', 'sensors', 'stats'];

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

describe('storage migrations on a fresh database', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('applies the initial schema, matches the entities, and rolls back to nothing', async () => {
    expect(await tables(db.url)).toEqual([]);
    expect(await migrateDatabase(db.url)).toEqual(['InitialSchema1763900000000']);
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
    expect(await revertLastMigration(db.url)).toBe(true);
    expect(await tables(db.url)).toEqual([]);
    expect(await revertLastMigration(db.url)).toBe(false);
    expect(await migrateDatabase(db.url)).toEqual(['InitialSchema1763900000000']); // and forward again
    expect(await tables(db.url)).toEqual(TABLES);
  });

  it('creates the database when it is missing', async () => {
    const missing = new URL(db.url);
    missing.pathname = `/${db.name}_new`;
    const extra: TestDatabase = { url: missing.toString(), name: `${db.name}_new`, drop: async () => undefined };
    try {
      expect(await migrateDatabase(extra.url)).toEqual(['InitialSchema1763900000000']);
      expect(await tables(extra.url)).toEqual(TABLES);
    } finally {
      const c = new Client({ connectionString: db.url.replace(/\/[^/]*$/, '/postgres') });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${extra.name}" WITH (FORCE)`);
      await c.end();
    }
  });
});
