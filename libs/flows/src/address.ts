/**
 * Text form of the 4-word addresses in a PacketRecord / flow key. Called once per exported
 * flow (never per packet). IPv4-mapped (::ffff:a.b.c.d) prints as dotted IPv4; other IPv6
 * addresses print in RFC 5952 form (lower case, longest zero run of >= 2 groups compressed).
 */
export function formatAddress(w: Uint32Array, off = 0): string {
  const w0 = w[off], w1 = w[off + 1], w2 = w[off + 2], w3 = w[off + 3];
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) {
    return `${w3 >>> 24}.${(w3 >>> 16) & 255}.${(w3 >>> 8) & 255}.${w3 & 255}`;
  }
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return `${head}::${tail}`;
}

/** True when the 4 words at `off` hold an IPv4-mapped address. */
export function isMappedV4(w: Uint32Array, off = 0): boolean {
  return w[off] === 0 && w[off + 1] === 0 && w[off + 2] === 0xffff;
}

/**
 * Parses an IPv4 or IPv6 text address into 4 words (IPv4 mapped). Returns false on bad
 * input (errors as values). Used to rebuild a flow key from a FlowV1 record.
 */
export function parseAddress(text: string, out: Uint32Array, off = 0): boolean {
  if (text.includes('.') && !text.includes(':')) {
    const p = text.split('.');
    if (p.length !== 4) return false;
    let v = 0;
    for (const s of p) {
      if (!/^\d{1,3}$/.test(s)) return false;
      const n = Number(s);
      if (n > 255) return false;
      v = v * 256 + n;
    }
    out[off] = 0; out[off + 1] = 0; out[off + 2] = 0xffff; out[off + 3] = v >>> 0;
    return true;
  }
  let s = text;
  let v4tail: number[] | null = null;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const q = s.slice(lastColon + 1).split('.').map(Number);
    if (q.length !== 4 || q.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return false;
    v4tail = [(q[0] << 8) | q[1], (q[2] << 8) | q[3]];
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const parse = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const part of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return null;
      out.push(parseInt(part, 16));
    }
    return out;
  };
  const a = parse(halves[0]);
  const b = halves.length === 2 ? parse(halves[1]) : [];
  if (!a || !b) return false;
  let groups: number[];
  if (halves.length === 2) {
    const fill = 8 - a.length - b.length;
    if (fill < 1) return false;
    groups = [...a, ...new Array<number>(fill).fill(0), ...b];
  } else {
    groups = a;
  }
  if (groups.length !== 8) return false;
  if (v4tail) { groups[6] = v4tail[0]; groups[7] = v4tail[1]; }
  for (let i = 0; i < 4; i++) out[off + i] = ((groups[2 * i] << 16) | groups[2 * i + 1]) >>> 0;
  return true;
}
