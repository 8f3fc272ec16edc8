import type { PacketRecord } from './packet';

/*
 * Direction-independent 32-bit flow hash for Kafka keys and partitioning: both directions of
 * a flow hash alike because the two endpoints are put in a canonical order (lower address, then
 * lower port, first) before mixing. Mixes proto, both VLAN ids, addresses and ports with
 * murmur3's 32-bit steps. Allocation-free.
 */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mix(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** -1 when endpoint (a, ap) sorts before (b, bp), 1 after, 0 equal. */
function compareEndpoints(a: Uint32Array, ap: number, b: Uint32Array, bp: number): number {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return ap === bp ? 0 : ap < bp ? -1 : 1;
}

/** 32-bit unsigned hash of (proto, vlans, {src:srcPort, dst:dstPort}) equal for both directions. */
export function flowHash(rec: PacketRecord): number {
  const swap = compareEndpoints(rec.src, rec.srcPort, rec.dst, rec.dstPort) > 0;
  const a = swap ? rec.dst : rec.src;
  const b = swap ? rec.src : rec.dst;
  const ap = swap ? rec.dstPort : rec.srcPort;
  const bp = swap ? rec.srcPort : rec.dstPort;
  let h = 0x9747b28c;
  h = mix(h, (rec.proto << 24) ^ rec.l3);
  h = mix(h, (rec.vlanOuter << 16) | rec.vlanInner);
  h = mix(h, a[0]); h = mix(h, a[1]); h = mix(h, a[2]); h = mix(h, a[3]);
  h = mix(h, b[0]); h = mix(h, b[1]); h = mix(h, b[2]); h = mix(h, b[3]);
  h = mix(h, (ap << 16) | bp);
  return fmix(h ^ 40);
}
