// All environment reading for tests in one place.

/** Bootstrap servers for tests: `KAFKA_BROKERS` (comma-separated) or the local 127.0.0.1:9092. */
export function kafkaBrokers(): string[] {
  const raw = process.env.KAFKA_BROKERS?.trim();
  return (raw ? raw : '127.0.0.1:9092').split(',').map((s) => s.trim()).filter(Boolean);
}

/** Server URL for tests (`DATABASE_URL` with its database part ignored); default the local trust login. */
export function databaseUrl(): string {
  return process.env.DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/netsentry';
}
