import { isIPv4, isIPv6 } from 'node:net';

/**
 * An IP address as the pipeline stores it, or null: IPv4 as a dotted quad (IPv4-mapped IPv6
 * too, since the sensor keeps IPv4 as ::ffff:a.b.c.d and prints it dotted), IPv6 as lower-case
 * RFC 5952 text. Alerts keep addresses as text, so a filter spelled any other way would match
 * nothing. Same output as ipToString in libs/packets (the writer). The module boundaries allow the
 * console to import libs/packets; ipToString(ipFromString(s)) after the node:net checks would
 * replace the two helpers below once @netsentry/packets is in next.config's transpilePackages.
 */
export function normalizeIp(s: string): string | null {
  if (isIPv4(s)) return s; // node rejects leading zeros, so a valid dotted quad is already canonical
  // Zone ids (fe80::1%eth0) never reach storage; a filter with one cannot match.
  if (s.includes('%') || !isIPv6(s)) return null;
  const g = ipv6Groups(s);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
  return rfc5952(g);
}

/** The eight 16-bit groups of text that isIPv6 accepted (so every part is well formed). */
function ipv6Groups(s: string): number[] {
  const parts = (p: string): number[] =>
    p === ''
      ? []
      : p.split(':').flatMap((x) => {
          if (!x.includes('.')) return [parseInt(x, 16)];
          const [a, b, c, d] = x.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const dbl = s.indexOf('::');
  if (dbl < 0) return parts(s);
  const head = parts(s.slice(0, dbl));
  const tail = parts(s.slice(dbl + 2));
  return [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** RFC 5952 §4: lower-case hex without leading zeros; the longest run (≥ 2) of zero groups, the first on ties, as "::". */
function rfc5952(g: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j > i ? j : i + 1;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}
