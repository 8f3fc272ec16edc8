import type { DataSource } from 'typeorm';
import { featureValues } from './feature-block';

/*
 * Feature sets (table feature_sets): each list of feature names stored once, flows.features
 * holding only the values in that order. Ids are looked up once per DataSource and list, never
 * per flow; a list seen for the first time is registered (concurrent writers of the same new
 * list both end up with the one id the unique index allows).
 */

const ids = new WeakMap<DataSource, Map<string, number>>();
const lists = new WeakMap<DataSource, Map<number, readonly string[]>>();

function cacheOf<K, V>(m: WeakMap<DataSource, Map<K, V>>, ds: DataSource): Map<K, V> {
  let c = m.get(ds);
  if (!c) m.set(ds, (c = new Map()));
  return c;
}

/** The id of feature-name list `names` (in this order), registering it when new. */
export async function featureSetId(ds: DataSource, names: readonly string[]): Promise<number> {
  const key = JSON.stringify(names);
  const cache = cacheOf(ids, ds);
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const arg = [[...names]];
  let r: { id: number }[] = await ds.query('SELECT id FROM feature_sets WHERE names = $1::text[]', arg);
  if (!r.length) {
    await ds.query('INSERT INTO feature_sets (names) VALUES ($1::text[]) ON CONFLICT (names) DO NOTHING', arg);
    r = await ds.query('SELECT id FROM feature_sets WHERE names = $1::text[]', arg);
  }
  const id = Number(r[0].id);
  cache.set(key, id);
  cacheOf(lists, ds).set(id, [...names]);
  return id;
}

/** The name lists of feature sets `wanted` (ids not in the table are absent from the map). */
export async function featureSetNames(ds: DataSource, wanted: Iterable<number>): Promise<Map<number, readonly string[]>> {
  const cache = cacheOf(lists, ds);
  const out = new Map<number, readonly string[]>();
  const missing: number[] = [];
  for (const id of new Set(wanted)) {
    const names = cache.get(id);
    if (names) out.set(id, names);
    else missing.push(id);
  }
  if (missing.length) {
    const r: { id: number; names: string[] }[] = await ds.query('SELECT id, names FROM feature_sets WHERE id = ANY($1::smallint[])', [missing]);
    for (const x of r) {
      cache.set(Number(x.id), x.names);
      out.set(Number(x.id), x.names);
    }
  }
  return out;
}

/**
 * The features record of one stored row: names of its set paired with the values (the row's
 * `features` bytea). Undefined when the row does not fit its set (unknown set, other length, a
 * non-finite value): the reader's validation then refuses the row, as it refused a bad jsonb before.
 */
export function featuresRecord(names: readonly string[] | undefined, block: Uint8Array | null | undefined): Record<string, number> | undefined {
  const values = featureValues(block);
  if (!names || !values || values.length !== names.length) return undefined;
  const out: Record<string, number> = {};
  for (let c = 0; c < names.length; c++) {
    const v = values[c];
    if (names[c] === '__proto__') Object.defineProperty(out, '__proto__', { value: v, enumerable: true, writable: true, configurable: true });
    else out[names[c]] = v;
  }
  return out;
}
