/**
 * SQLSTATE of a PostgreSQL error, from a `pg` error or a TypeORM QueryFailedError (which copies
 * the driver error's fields and keeps it as `driverError`); undefined for anything else.
 */
export function sqlState(e: unknown): string | undefined {
  if (e === null || typeof e !== 'object') return undefined;
  const o = e as { code?: unknown; driverError?: { code?: unknown } };
  const code = typeof o.code === 'string' ? o.code : typeof o.driverError?.code === 'string' ? o.driverError.code : undefined;
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * True for a PostgreSQL data exception (SQLSTATE class 22: a value the database refuses, such as
 * NUL in text, "invalid byte sequence for encoding UTF8: 0x00", 22021). Writing the same rows again
 * fails the same way, so the caller must set them aside; any other error (a lost connection, a
 * deadlock, a full disk) may pass and is worth retrying.
 */
export function isDataException(e: unknown): boolean {
  return sqlState(e)?.startsWith('22') ?? false;
}
