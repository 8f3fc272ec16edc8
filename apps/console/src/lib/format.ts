/** Display helpers shared by pages (UTC, like the CLI). */
export function fmtTime(epochS: number): string {
  return new Date(epochS * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

/** A filter time as the form shows it (YYYY-MM-DDTHH:MM, UTC); filters.ts keeps it within years 1970..9999. */
export function fmtInputTime(epochS: number | undefined): string {
  return epochS === undefined ? '' : new Date(epochS * 1000).toISOString().slice(0, 16);
}

export function fmtNum(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(2);
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const u = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${u[i]}`;
}
