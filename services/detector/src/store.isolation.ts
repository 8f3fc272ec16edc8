/**
 * Writes `units` with `write`; when that fails with an error `isPoison` recognises (a value the
 * database refuses: writing it again fails again), splits the units in halves and writes each,
 * down to the single units that still fail, which go to `reject` with the error. Any other error
 * is thrown (the caller retries the whole batch: a transient fault). One bad unit among n costs
 * about 2·log2(n) writes; `write` must be idempotent (halves that were stored are written again).
 */
export async function writeIsolating<U>(
  units: readonly U[],
  write: (part: readonly U[]) => Promise<void>,
  isPoison: (e: unknown) => boolean,
  reject: (unit: U, e: Error) => void,
): Promise<void> {
  if (units.length === 0) return;
  try {
    await write(units);
    return;
  } catch (e) {
    if (!isPoison(e)) throw e;
    if (units.length === 1) {
      reject(units[0], e instanceof Error ? e : new Error(String(e)));
      return;
    }
  }
  const mid = units.length >> 1;
  await writeIsolating(units.slice(0, mid), write, isPoison, reject);
  await writeIsolating(units.slice(mid), write, isPoison, reject);
}
