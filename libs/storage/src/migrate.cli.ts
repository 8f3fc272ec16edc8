// `npm run db:migrate` (apply pending migrations, creating the database if missing) and
// `npm run db:revert` (undo the last one). Uses DATABASE_URL.
import { databaseUrlFromEnv } from './config';
import { migrateDatabase, revertLastMigration } from './data-source';

async function main(argv: string[]): Promise<number> {
  const cmd = argv[0] ?? 'up';
  const url = databaseUrlFromEnv();
  const where = url.replace(/\/\/[^@/]*@/, '//***@');
  if (cmd === 'up') {
    const applied = await migrateDatabase(url);
    console.log(applied.length ? `applied ${applied.join(', ')} to ${where}` : `${where} is up to date`);
    return 0;
  }
  if (cmd === 'revert' || cmd === 'down') {
    const done = await revertLastMigration(url);
    console.log(done ? `reverted the last migration on ${where}` : `no migration to revert on ${where}`);
    return 0;
  }
  console.error(`usage: migrate.cli.ts [up|revert]`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`db migrate failed: ${(e as Error).message}`);
    process.exit(1);
  },
);
