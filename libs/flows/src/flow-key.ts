/**
 * Canonical bidirectional flow key, packed into KEY_WORDS 32-bit words (no strings):
 *
 *   word 0..3   endpoint A address (4 words, IPv4 mapped ::ffff:a.b.c.d)
 *   word 4..7   endpoint B address
 *   word 8      portA << 16 | portB
 *   word 9      proto | vlanOuter << 8 | vlanInner << 20
 *   word 10     kind: 0 = normal, 1 = non-first IP fragments (no ports; see README "Fragments")
 *
 * A is the lower endpoint: addresses compared word by word, then the ports. Both directions
 * of a conversation therefore produce the same words and the same hash.
 */
import { parseAddress } from './address';

// Module-level aliases: inside jest's vm context every global lookup (`Math`) goes through an
// interceptor and costs ~100x; a captured function does not. Plain Node is unaffected.
const imul = Math.imul;
const floor = Math.floor;

export const KEY_WORDS = 11;
export const KEY_PORTS = 8;
export const KEY_PROTO_VLAN = 9;
export const KEY_KIND = 10;

export const enum KeyKind {
  Normal = 0,
  Fragments = 1,
}

/** 32-bit murmur3-style hash of the KEY_WORDS words at `off`, mixed with `seed`. */
export function hashKey(k: Uint32Array, off: number, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < KEY_WORDS; i++) {
    let x = imul(k[off + i], 0xcc9e2d51);
    x = (x << 15) | (x >>> 17);
    h ^= imul(x, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mix(h: number, x: number): number {
  x = imul(x, 0xcc9e2d51);
  x = (x << 15) | (x >>> 17);
  h ^= imul(x, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32-bit hash of a string's UTF-16 code units (the sensor id is short ASCII). */
export function hashString(s: string, seed = 0x5eed): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) h = mix(h, s.charCodeAt(i));
  return fmix(h ^ s.length);
}

const LANE_SEEDS = [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344];
/**
 * Two lowercase hex digits per byte value. Number#toString(16) costs ~0.6 µs per 32-bit word in
 * V8 (it goes through the double-to-radix path), 4 words per id: most of an id's cost, and one id
 * per exported flow (a SYN flood exports a flow per packet). Four table loads give the same digits.
 */
const HEX2: string[] = [];
for (let i = 0; i < 256; i++) HEX2.push((i < 16 ? '0' : '') + i.toString(16));
const hex8 = (h: number): string => HEX2[h >>> 24] + HEX2[(h >>> 16) & 0xff] + HEX2[(h >>> 8) & 0xff] + HEX2[h & 0xff];

/**
 * Deterministic flow id: 128 bits (32 hex digits) hashed from (sensor, canonical key words,
 * record start time in µs) by four chained murmur3-style lanes. Not cryptographic (ids are
 * idempotency keys, not secrets) and ~20x cheaper than SHA-256, which matters when a flood
 * exports a flow per packet. The same flow read twice, or by two aggregator instances, gets
 * the same id, so sinks can upsert or ignore duplicates.
 */
export function flowId(sensor: string, key: Uint32Array, startUs: number, keyOffset = 0): string {
  return flowIdHashed(hashString(sensor), key, startUs, keyOffset);
}

/** flowId with the sensor's hashString() precomputed (the flow table's hot export path). */
export function flowIdHashed(sensorHash: number, key: Uint32Array, startUs: number, keyOffset = 0): string {
  const lo = startUs % 0x100000000 | 0;
  const hi = floor(startUs / 0x100000000) | 0;
  let out = '';
  let prev = sensorHash;
  for (let lane = 0; lane < 4; lane++) {
    let h = LANE_SEEDS[lane] ^ prev;
    h = mix(h, sensorHash);
    for (let i = 0; i < KEY_WORDS; i++) h = mix(h, key[keyOffset + i]);
    h = mix(h, lo);
    h = mix(h, hi);
    prev = fmix(h ^ (KEY_WORDS + 3));
    out += hex8(prev);
  }
  return out;
}

/** The fields of a flow record that make up its key (a FlowV1 has them all). */
export interface FlowKeyFields {
  proto: number;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  vlan: number;
  vlanInner: number;
  /** Non-first-fragment bucket (feature `Fragment Bucket` = 1); default false. */
  fragments?: boolean;
}

/**
 * Builds the canonical key words from text fields (either direction gives the same words).
 * Returns null when an address does not parse (errors as values).
 */
export function canonicalKey(f: FlowKeyFields): Uint32Array | null {
  const k = new Uint32Array(KEY_WORDS);
  const a = new Uint32Array(4), b = new Uint32Array(4);
  if (!parseAddress(f.srcIp, a) || !parseAddress(f.dstIp, b)) return null;
  let srcFirst = true;
  let decided = false;
  for (let i = 0; i < 4 && !decided; i++) {
    if (a[i] !== b[i]) { srcFirst = a[i] < b[i]; decided = true; }
  }
  if (!decided) srcFirst = f.srcPort <= f.dstPort;
  const lo = srcFirst ? a : b, hi = srcFirst ? b : a;
  k.set(lo, 0); k.set(hi, 4);
  const pa = srcFirst ? f.srcPort : f.dstPort, pb = srcFirst ? f.dstPort : f.srcPort;
  k[KEY_PORTS] = ((pa << 16) | pb) >>> 0;
  k[KEY_PROTO_VLAN] = (f.proto | (f.vlan << 8) | (f.vlanInner << 20)) >>> 0;
  k[KEY_KIND] = f.fragments ? KeyKind.Fragments : KeyKind.Normal;
  return k;
}

/** Recomputes the deterministic id of an exported flow record from its own fields. */
export function flowIdOf(sensor: string, f: FlowKeyFields & { start: number }): string | null {
  const k = canonicalKey(f);
  if (!k) return null;
  return flowId(sensor, k, Math.round(f.start * 1e6));
}
