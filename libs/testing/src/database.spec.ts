import { Client } from 'pg';
import { createTestDatabase, withDatabase } from './database';
import { databaseUrl } from './env';

async function exists(name: string): Promise<boolean> {
  const c = new Client({ connectionString: withDatabase(databaseUrl(), 'postgres') });
  await c.connect();
  try {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return r.rowCount === 1;
  } finally {
    await c.end();
  }
}

describe('createTestDatabase', () => {
  it('creates a fresh database, runs the given migration and drops it even with a session open', async () => {
    const db = await createTestDatabase({
      migrate: async (url) => {
        const c = new Client({ connectionString: url });
        await c.connect();
        await c.query('CREATE TABLE t (x int)');
        await c.end();
      },
    });
    expect(db.name).toMatch(/^netsentry_test_[0-9a-f]{16}$/);
    const c = new Client({ connectionString: db.url });
    c.on('error', () => undefined); // the forced drop below terminates this session on purpose
    await c.connect();
    const r = await c.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 't'");
    expect(r.rows[0].n).toBe(1);
    expect(await exists(db.name)).toBe(true);
    await db.drop(); // the session above is still open: FORCE ends it
    await c.end().catch(() => undefined);
    expect(await exists(db.name)).toBe(false);
  });

  it('drops the database when the migration fails', async () => {
    let created = '';
    await expect(
      createTestDatabase({
        migrate: async (url) => {
          created = decodeURIComponent(new URL(url).pathname.slice(1));
          throw new Error('boom');
        },
      }),
    ).rejects.toThrow('boom');
    expect(created).toMatch(/^netsentry_test_/);
    expect(await exists(created)).toBe(false);
  });
});
