import { ipFromString } from '@netsentry/packets';

/** An address block: 4 words (IPv4 mapped) and a prefix length over the 128 bits. */
export interface Cidr {
  readonly text: string;
  readonly words: Uint32Array;
  readonly bits: number;
}

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address; null when invalid (errors as values). */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const words = ipFromString(addr.trim());
  if (words === null) return null;
  const v4 = addr.indexOf(':') < 0;
  const max = v4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return null;
    bits = Number(p);
    if (bits > max) return null;
  }
  return { text, words, bits: v4 ? 96 + bits : bits };
}

function matches(c: Cidr, w: Uint32Array): boolean {
  let left = c.bits;
  for (let i = 0; i < 4 && left > 0; i++) {
    const take = Math.min(32, left);
    const mask = take === 32 ? 0xffffffff : (0xffffffff << (32 - take)) >>> 0;
    if (((w[i] & mask) >>> 0) !== ((c.words[i] & mask) >>> 0)) return false;
    left -= take;
  }
  return true;
}

/** A set of address blocks with a memo of answers (rules ask about the same hosts every interval). */
export class CidrSet {
  private readonly blocks: Cidr[];
  private readonly memo = new Map<string, boolean>();

  constructor(texts: readonly string[]) {
    this.blocks = texts.map((t) => {
      const c = parseCidr(t);
      if (c === null) throw new Error(`invalid address block ${JSON.stringify(t)}`);
      return c;
    });
  }

  get empty(): boolean {
    return this.blocks.length === 0;
  }

  has(ip: string): boolean {
    if (this.blocks.length === 0) return false;
    let r = this.memo.get(ip);
    if (r !== undefined) return r;
    const w = ipFromString(ip);
    r = w !== null && this.blocks.some((b) => matches(b, w));
    if (this.memo.size > 100_000) this.memo.clear();
    this.memo.set(ip, r);
    return r;
  }
}
