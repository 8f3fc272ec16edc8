import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DataSource } from 'typeorm';

/*
 * COPY text format (PostgreSQL docs, "COPY ... Text Format"): one row per line, columns
 * separated by TAB, NULL as \N, and backslash, TAB, LF and CR inside values escaped as
 * \\, \t, \n, \r. Everything we write is text, numbers in JS shortest round-trip form.
 */

const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** Escapes one text value for COPY text format. */
export function copyText(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** A finite number as COPY text; anything else is a bug upstream (schemas reject it). */
export function copyNumber(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`COPY: non-finite number ${n}`);
  return String(n);
}

/** Rows per chunk handed to the COPY stream (bounded memory for big batches). */
const CHUNK_ROWS = 2000;

/** Streams `rows` encoded by `encode` (one line each, no trailing newline) into `COPY <target> FROM STDIN`. */
export async function copyInto<T>(client: PoolClient, target: string, rows: readonly T[], encode: (row: T, i: number) => string): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${target} FROM STDIN`));
  function* chunks(): Generator<string> {
    for (let i = 0; i < rows.length; i += CHUNK_ROWS) {
      const end = Math.min(rows.length, i + CHUNK_ROWS);
      let s = '';
      for (let j = i; j < end; j++) s += encode(rows[j], j) + '\n';
      yield s;
    }
  }
  await pipeline(Readable.from(chunks()), stream);
}

/**
 * Streams ready COPY chunks into `COPY <target> FROM STDIN`: text format (whole lines), or with
 * `binary` PostgreSQL's binary format (the chunks carry its header, tuples and trailer). Returns
 * the rows copied.
 */
export async function copyChunks(client: PoolClient, target: string, chunks: Iterable<string | Buffer>, binary = false): Promise<number> {
  const stream = client.query(copyFrom(`COPY ${target} FROM STDIN${binary ? ' (FORMAT binary)' : ''}`));
  await pipeline(Readable.from(chunks), stream);
  return stream.rowCount;
}

/**
 * Runs `fn` in a transaction on a raw pg client borrowed from the DataSource's pool (COPY needs
 * the driver's client; TypeORM has no COPY). Rolls back on error and always returns the client.
 */
export async function withPgTransaction<R>(ds: DataSource, fn: (client: PoolClient) => Promise<R>): Promise<R> {
  const qr = ds.createQueryRunner('master');
  const client = (await qr.connect()) as PoolClient;
  try {
    await client.query('BEGIN');
    const r = await fn(client);
    await client.query('COMMIT');
    return r;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await qr.release();
  }
}
