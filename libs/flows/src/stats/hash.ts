/**
 * Hashes for the statistics sketches. The same item must hash to the same value in the
 * aggregator (numeric keys, per packet) and in `mergeStats` (text items, per message), so
 * both sides hash the 4-word address form (IPv4 mapped) or the port number.
 */

/** murmur3's 32-bit finaliser. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const SEED_A = 0x9e3779b9;
const SEED_B = 0x7f4a7c15;

/** 2^53: hashes are uniform integers in [0, 2^53). */
export const HASH_RANGE = 9007199254740992;

/** A 53-bit hash of four 32-bit words, as an integer-valued double. */
export function hashWords(w0: number, w1: number, w2: number, w3: number): number {
  let a = mix32(SEED_A ^ w0);
  a = mix32(a ^ w1);
  a = mix32(a ^ w2);
  a = mix32(a ^ w3);
  let b = mix32(SEED_B ^ w3);
  b = mix32(b ^ w2);
  b = mix32(b ^ w1);
  b = mix32(b ^ w0);
  return a * 2097152 + (b >>> 11);
}

/** Hash of a port number (its own domain: word 2 marks it). */
export function hashPort(port: number): number {
  return hashWords(0, 0, 0x504f5254, port);
}

/** Hash of a (protocol, port) service key. */
export function hashService(proto: number, port: number): number {
  return hashWords(0, 0x53525643, proto, port);
}

/**
 * Bottom-k (KMV) estimate of a set's size from the k-th smallest hash. At least k+1: the
 * estimate is only used once a set holds more than k distinct items.
 */
export function kmvEstimate(k: number, kthHash: number): number {
  if (kthHash <= 0) return k + 1;
  return Math.max(k + 1, Math.round(((k - 1) * HASH_RANGE) / kthHash));
}
