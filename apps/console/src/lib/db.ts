import type { DataSource } from 'typeorm';
import { AlertEntity, openDataSource } from '@netsentry/storage';

/**
 * One TypeORM DataSource per server bundle. Next compiles server components and route
 * handlers into separate module graphs, each with its own copy of the entity classes, and
 * TypeORM finds metadata by class identity: so the pool is cached per entity class (on
 * globalThis, so dev-mode reloads of pages do not open a new pool each time).
 * DATABASE_URL chooses the database.
 */
const g = globalThis as unknown as { __netsentryDs?: Map<unknown, Promise<DataSource>> };

export function db(): Promise<DataSource> {
  const cache = (g.__netsentryDs ??= new Map());
  let ds = cache.get(AlertEntity);
  if (!ds) {
    ds = openDataSource({ poolSize: 5 }).catch((e: unknown) => {
      cache.delete(AlertEntity);
      throw e;
    });
    cache.set(AlertEntity, ds);
  }
  return ds;
}
