import 'reflect-metadata';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { databaseUrlFromEnv } from './config';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export interface DataSourceOptions {
  /** Connection URL; default DATABASE_URL or postgres://postgres@127.0.0.1:5432/netsentry. */
  url?: string;
  /** Pool size (default 10). */
  poolSize?: number;
  /** Log SQL (default false). */
  logging?: boolean;
}

/**
 * A TypeORM DataSource for the NetSentry schema (not yet initialised: call `initialize()`).
 * Never synchronises: the schema comes only from migrations (`migrateDatabase`).
 */
export function createDataSource(opts: DataSourceOptions = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url: opts.url ?? databaseUrlFromEnv(),
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: opts.logging ?? false,
    poolSize: opts.poolSize ?? 10,
    applicationName: 'netsentry',
  });
}

/** Creates and initialises a DataSource (the usual way to get one). */
export async function openDataSource(opts: DataSourceOptions = {}): Promise<DataSource> {
  return createDataSource(opts).initialize();
}

/** Creates the database named in `url` when it does not exist (connecting to `postgres`). Returns true if created. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!name) throw new Error(`ensureDatabase: no database name in ${url}`);
  u.pathname = '/postgres';
  const c = new Client({ connectionString: u.toString(), connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (r.rowCount) return false;
    try {
      await c.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    } catch (e) {
      // Another process created it between the check and the create.
      if ((e as { code?: string }).code !== '42P04') throw e;
      return false;
    }
    return true;
  } finally {
    await c.end();
  }
}

/** Creates the database if missing and applies pending migrations. Returns the names applied. */
export async function migrateDatabase(url: string = databaseUrlFromEnv()): Promise<string[]> {
  await ensureDatabase(url);
  const ds = await createDataSource({ url, poolSize: 1 }).initialize();
  try {
    const done = await ds.runMigrations({ transaction: 'each' });
    return done.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}

/** Reverts the last applied migration. Returns false when none was applied. */
export async function revertLastMigration(url: string = databaseUrlFromEnv()): Promise<boolean> {
  const ds = await createDataSource({ url, poolSize: 1 }).initialize();
  try {
    const applied: unknown[] = await ds.query(
      `SELECT 1 FROM information_schema.tables WHERE table_name = 'typeorm_migrations'`,
    );
    if (!applied.length) return false;
    const n: { n: number }[] = await ds.query('SELECT count(*)::int AS n FROM typeorm_migrations');
    if (!n[0]?.n) return false;
    await ds.undoLastMigration({ transaction: 'each' });
    return true;
  } finally {
    await ds.destroy();
  }
}
