// All environment reading of libs/storage in one place.

/** Default database when DATABASE_URL is not set: the local trust login. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/netsentry';

/** `DATABASE_URL`, or the local default. */
export function databaseUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
}
