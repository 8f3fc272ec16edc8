import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import { databaseUrl } from './env';

/** A database created for one test file; `drop()` removes it (call it in afterAll). */
export interface TestDatabase {
  /** Connection URL of the new database. */
  url: string;
  /** Its name, `netsentry_test_<16 hex>`. */
  name: string;
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /**
   * Runs migrations on the new database, e.g. `migrateDatabase` from `@netsentry/storage`
   * (passed in rather than imported so that libs/storage can use this helper in its own tests).
   */
  migrate?: (url: string) => Promise<unknown>;
  /** Server to create it on; default `DATABASE_URL` or postgres://postgres@127.0.0.1:5432. */
  serverUrl?: string;
}

/** Same server and credentials as `url`, other database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + encodeURIComponent(database);
  return u.toString();
}

/**
 * Creates an empty database `netsentry_test_<random>` on the real PostgreSQL server, optionally
 * migrated, so that test files never share state. Fails with a clear message when the server is down.
 */
export async function createTestDatabase(opts: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const server = opts.serverUrl ?? databaseUrl();
  const name = `netsentry_test_${randomBytes(8).toString('hex')}`;
  const admin = new Client({ connectionString: withDatabase(server, 'postgres'), connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (e) {
    throw new Error(`createTestDatabase: PostgreSQL not reachable at ${withDatabase(server, 'postgres')}: ${(e as Error).message}`);
  }
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(server, name);
  const drop = async (): Promise<void> => {
    const c = new Client({ connectionString: withDatabase(server, 'postgres'), connectionTimeoutMillis: 5000 });
    await c.connect();
    try {
      // WITH (FORCE) ends sessions a test forgot to close (PostgreSQL 13+).
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await c.end();
    }
  };
  if (opts.migrate) {
    try {
      await opts.migrate(url);
    } catch (e) {
      await drop();
      throw e;
    }
  }
  return { url, name, drop };
}

/** True when the PostgreSQL server answers (for diagnostics; tests should not skip on it). */
export async function postgresReachable(serverUrl: string = databaseUrl()): Promise<boolean> {
  const c = new Client({ connectionString: withDatabase(serverUrl, 'postgres'), connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}
