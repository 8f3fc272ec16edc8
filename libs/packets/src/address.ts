/**
 * Address helpers for the 4-word address form used by PacketRecord (network order word by
 * word; IPv4 mapped as ::ffff:a.b.c.d). Not for the hot path: they build strings.
 */

/** True for ::ffff:a.b.c.d (how IPv4 addresses are stored). */
export function isIPv4Mapped(w: Uint32Array): boolean {
  return w[0] === 0 && w[1] === 0 && w[2] === 0xffff;
}

/** Dotted quad for IPv4-mapped addresses, RFC 5952 text for IPv6. */
export function ipToString(w: Uint32Array): string {
  if (isIPv4Mapped(w)) {
    const a = w[3];
    return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  }
  const groups = new Array<number>(8);
  for (let i = 0; i < 4; i++) {
    groups[2 * i] = w[i] >>> 16;
    groups[2 * i + 1] = w[i] & 0xffff;
  }
  // RFC 5952: compress the longest run (>= 2) of zero groups, the first one on ties.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (g: number): string => g.toString(16);
  if (bestStart < 0) return groups.map(hex).join(':');
  const head = groups.slice(0, bestStart).map(hex).join(':');
  const tail = groups.slice(bestStart + bestLen).map(hex).join(':');
  return `${head}::${tail}`;
}

function parseV4(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return v;
}

/** Parses dotted-quad IPv4 (returned IPv4-mapped) or IPv6 text (with :: and embedded IPv4); null if invalid. */
export function ipFromString(s: string): Uint32Array | null {
  const out = new Uint32Array(4);
  if (s.indexOf(':') < 0) {
    const v4 = parseV4(s);
    if (v4 === null) return null;
    out[2] = 0xffff;
    out[3] = v4;
    return out;
  }
  const pct = s.indexOf('%');
  if (pct === s.length - 1) return null; // "%" with no zone id after it
  if (pct >= 0) s = s.slice(0, pct);
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  // A dotted quad may end only the text's last part (RFC 4291 §2.2): the tail after "::", or all of it.
  const parseGroups = (part: string, last: boolean): number[] | null => {
    if (part === '') return [];
    const gs: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (last && i === items.length - 1 && it.indexOf('.') >= 0) {
        const v4 = parseV4(it);
        if (v4 === null) return null;
        gs.push(Math.floor(v4 / 65536), v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(it)) return null;
        gs.push(parseInt(it, 16));
      }
    }
    return gs;
  };
  let groups: number[];
  if (dbl >= 0) {
    const head = parseGroups(s.slice(0, dbl), false);
    const tail = parseGroups(s.slice(dbl + 2), true);
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const g = parseGroups(s, true);
    if (g === null || g.length !== 8) return null;
    groups = g;
  }
  for (let i = 0; i < 4; i++) out[i] = ((groups[2 * i] << 16) | groups[2 * i + 1]) >>> 0;
  return out;
}
