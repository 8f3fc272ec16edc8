import { isStorableText } from './common';
import { FLOW_END_REASONS, FLOW_STATES, FlowV1 } from './flow.v1';
import { packedFeaturesBytes, packFeatures, unpackFeatures } from './feature-pack';
import { parseJsonMessage } from './parse';

/*
 * Flow batch v1: many FlowV1 records of one sensor in one `netsentry.flows.v1` message, as
 * columns, so a consumer decodes straight into typed arrays (no JSON, no per-flow object).
 * The aggregator sends every batch to the partition the JSON record keyed by `srcIp` would take,
 * so "all flows of one source reach the same detector instance" holds for both encodings.
 * A JSON FlowV1 message starts with `{` (or white space); a batch with the magic below, so a
 * reader tells them apart by the first byte.
 *
 * Wire grammar (little endian; n = count, d = feature count, s = service count):
 *   0  magic      4 bytes  "NSFB"
 *   4  version    u8       2 (1 is read too: its features were n × d × f64)
 *   5  flags      u8       0
 *   6  d          u16      feature names, 0..1024
 *   8  n          u32      flows, 1..65535
 *  12  s          u8       service names, 1..255
 *  13  sensor     u8 len + ASCII    SensorId (1..128, [A-Za-z0-9._:-])
 *      services   s × (u8 len + UTF-8)        1..32 UTF-16 units each, distinct, no NUL
 *      names      d × (u16 len + UTF-8)       distinct feature names, no NUL
 *      idLen      n × u8                      1..128; ids are printable ASCII (0x21..0x7e)
 *      ids        Σ idLen bytes
 *      proto      n × u8
 *      srcFamily  n × u8     4 or 6;  srcAddr n × 16 bytes (IPv4 in the first 4, rest 0)
 *      dstFamily  n × u8     4 or 6;  dstAddr n × 16 bytes
 *      srcPort, dstPort, vlan, vlanInner       n × u16 each (vlans ≤ 4095)
 *      endReason, state, service               n × u8 each (index into FLOW_END_REASONS,
 *                                              FLOW_STATES, the services list)
 *      start, end                              n × f64 each (finite, ≥ 0)
 *      fwdPackets, bwdPackets, fwdBytes, bwdBytes   n × f64 each (safe integers ≥ 0)
 *      features                                n × the flow's d values packed (feature-pack.ts:
 *                                              a 2-bit class per value, then the non-zero
 *                                              values in 2, 4 or 8 bytes; finite)
 * and nothing after. Every check FlowV1 makes is made here on the columns (tests prove that
 * every decoded flow passes FlowV1.parse and that damaged batches are refused as values).
 */

const MAGIC = 0x4246534e; // "NSFB" read as u32 LE
export const FLOW_BATCH_VERSION = 2;
/** Version 1: the same, but the features as plain float64s (a flood's flows were 4-5 times larger). */
const FLOW_BATCH_VERSION_F64 = 1;
/** First byte of a flow batch message ('N'): never the first byte of a JSON object. */
export const FLOW_BATCH_FIRST_BYTE = 0x4e;
export const FLOW_BATCH_MAX_FLOWS = 65535;
export const FLOW_BATCH_MAX_FEATURES = 1024;

const O_MAGIC = 0;
const O_VERSION = 4;
const O_FLAGS = 5;
const O_D = 6;
const O_N = 8;
const O_S = 12;
const O_SENSOR = 13;

/** Bytes per flow of the fixed-width columns (everything but ids and features). */
const FIXED_PER_FLOW = 1 /* idLen */ + 1 + 1 + 16 + 1 + 16 + 2 * 4 + 3 + 8 * 2 + 8 * 4;

const SENSOR_RE = /^[A-Za-z0-9._:-]+$/;

/** A decoded batch: one entry per flow in each column. The views are aligned copies in one arena of the batch's own. */
export interface FlowBatchV1 {
  sensor: string;
  count: number;
  featureNames: string[];
  services: string[];
  /** ids: bytes of flow i are idBytes[idOff[i] .. idOff[i + 1]) (printable ASCII). */
  idBytes: Buffer;
  idOff: Uint32Array;
  proto: Uint8Array;
  srcFamily: Uint8Array;
  srcAddr: Uint8Array;
  dstFamily: Uint8Array;
  dstAddr: Uint8Array;
  srcPort: Uint16Array;
  dstPort: Uint16Array;
  vlan: Uint16Array;
  vlanInner: Uint16Array;
  endReason: Uint8Array;
  state: Uint8Array;
  service: Uint8Array;
  start: Float64Array;
  end: Float64Array;
  fwdPackets: Float64Array;
  bwdPackets: Float64Array;
  fwdBytes: Float64Array;
  bwdBytes: Float64Array;
  /** n × featureNames.length, row-major. */
  features: Float64Array;
  /**
   * Version 2 batches as decoded: the same values as `features`, packed as on the wire
   * (feature-pack.ts), flow i in bytes[off[i] .. off[i + 1]): storage copies them instead of
   * packing them again.
   */
  packed?: { bytes: Uint8Array; off: Uint32Array };
}

export type FlowBatchError = 'FLOWBATCH.TRUNCATED' | 'FLOWBATCH.BAD_MAGIC' | 'FLOWBATCH.BAD_VERSION' | 'FLOWBATCH.INVALID';
export type FlowBatchResult = { ok: true; batch: FlowBatchV1 } | { ok: false; code: FlowBatchError; reason: string };

const bad = (code: FlowBatchError, reason: string): FlowBatchResult => ({ ok: false, code, reason });

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reusable column memory for decoded batches (the detector's hot path): one arena per batch,
 * handed back with `release` once nothing reads the batch any more. A released batch's columns
 * are overwritten by the next batch decoded into its arena: release only what is done with.
 * Without a pool each batch gets a fresh arena.
 */
export class FlowBatchPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private readonly owned = new WeakMap<FlowBatchV1, ArrayBuffer>();
  private pooledBytes = 0;

  /** `maxBytes`: most memory kept for reuse (default 64 MiB). */
  constructor(private readonly maxBytes = 64 << 20) {}

  /** An arena of at least `bytes` (arenas come in powers of two, so batches of similar size share them). */
  take(bytes: number): ArrayBuffer {
    const size = arenaSize(bytes);
    const a = this.free.get(size)?.pop();
    if (a) this.pooledBytes -= size;
    // Not zero-filled (a fresh zeroed arena per batch was ~7 % of the detector's main thread):
    // decodeFlowBatch writes every byte of every column it carves out, and nothing reads the
    // tail past the last column.
    return a ?? (Buffer.allocUnsafeSlow(size).buffer as ArrayBuffer);
  }

  /** Records that `batch`'s columns live in `arena`. */
  own(batch: FlowBatchV1, arena: ArrayBuffer): void {
    this.owned.set(batch, arena);
  }

  /** Gives a batch decoded with this pool back (again or from elsewhere: ignored). */
  release(batch: FlowBatchV1): void {
    const a = this.owned.get(batch);
    if (!a) return;
    this.owned.delete(batch);
    if (this.pooledBytes + a.byteLength > this.maxBytes) return;
    let list = this.free.get(a.byteLength);
    if (!list) this.free.set(a.byteLength, (list = []));
    list.push(a);
    this.pooledBytes += a.byteLength;
  }
}

function arenaSize(bytes: number): number {
  let s = 4096;
  while (s < bytes) s *= 2;
  return s;
}

/**
 * The columns of one batch carved out of one arena, each an aligned copy of its bytes in the
 * message (byte-swapped on a big-endian host): float64 columns first, then u32, u16, u8, so every
 * view is aligned.
 */
class Columns {
  private o = 0;
  constructor(readonly arena: ArrayBuffer) {}

  f64s(buf: Buffer, off: number, count: number): Float64Array {
    const a = new Float64Array(this.arena, this.o, count);
    this.copy(buf, off, count * 8);
    if (!HOST_LE) Buffer.from(a.buffer, a.byteOffset, count * 8).swap64();
    return a;
  }
  /** `count` float64 slots, filled by the caller. */
  f64Slots(count: number): Float64Array {
    const a = new Float64Array(this.arena, this.o, count);
    this.o += count * 8;
    return a;
  }
  u32s(count: number): Uint32Array {
    const a = new Uint32Array(this.arena, this.o, count);
    this.o += count * 4;
    return a;
  }
  u16s(buf: Buffer, off: number, count: number): Uint16Array {
    const a = new Uint16Array(this.arena, this.o, count);
    this.copy(buf, off, count * 2);
    if (!HOST_LE) Buffer.from(a.buffer, a.byteOffset, count * 2).swap16();
    return a;
  }
  u8s(buf: Buffer, off: number, count: number): Uint8Array {
    const a = new Uint8Array(this.arena, this.o, count);
    this.copy(buf, off, count);
    return a;
  }
  bytes(buf: Buffer, off: number, count: number): Buffer {
    const a = Buffer.from(this.arena, this.o, count);
    this.copy(buf, off, count);
    return a;
  }
  private copy(buf: Buffer, off: number, len: number): void {
    buf.copy(new Uint8Array(this.arena, this.o, len), 0, off, off + len);
    this.o += len;
  }
}

/**
 * Arena bytes for a batch of n flows, d features, `ids` id bytes (see Columns for the order);
 * `packed`: a version 2 batch's packed feature bytes (kept, with n + 1 offsets), else -1.
 */
function arenaBytes(n: number, d: number, ids: number, packed: number): number {
  return (6 * n + n * d) * 8 + (n + 1) * 4 + (packed < 0 ? 0 : (n + 1) * 4 + packed) + 4 * n * 2 + 6 * n + 32 * n + ids;
}

/**
 * Decodes and validates a flow batch. Never throws on any input. With a `pool`, the columns are
 * decoded into reused memory (see FlowBatchPool; the caller releases the batch).
 */
export function decodeFlowBatch(buf: Buffer, pool?: FlowBatchPool): FlowBatchResult {
  if (buf.length < O_SENSOR + 1) return bad('FLOWBATCH.TRUNCATED', `${buf.length} bytes, shorter than the header`);
  if (buf.readUInt32LE(O_MAGIC) !== MAGIC) return bad('FLOWBATCH.BAD_MAGIC', 'not a flow batch');
  const version = buf[O_VERSION];
  if (version !== FLOW_BATCH_VERSION && version !== FLOW_BATCH_VERSION_F64) return bad('FLOWBATCH.BAD_VERSION', `version ${version}`);
  const packed = version === FLOW_BATCH_VERSION;
  if (buf[O_FLAGS] !== 0) return bad('FLOWBATCH.INVALID', `unknown flags ${buf[O_FLAGS]}`);
  const d = buf.readUInt16LE(O_D);
  const n = buf.readUInt32LE(O_N);
  const s = buf[O_S];
  if (d > FLOW_BATCH_MAX_FEATURES) return bad('FLOWBATCH.INVALID', `${d} features`);
  if (n < 1 || n > FLOW_BATCH_MAX_FLOWS) return bad('FLOWBATCH.INVALID', `${n} flows`);
  if (s < 1) return bad('FLOWBATCH.INVALID', 'no service names');
  // Variable-length head: sensor, services, names.
  let o = O_SENSOR;
  const sl = buf[o++];
  if (o + sl > buf.length) return bad('FLOWBATCH.TRUNCATED', 'sensor');
  const sensor = buf.toString('latin1', o, o + sl);
  o += sl;
  if (sl < 1 || sl > 128 || !SENSOR_RE.test(sensor)) return bad('FLOWBATCH.INVALID', 'sensor');
  const services: string[] = new Array<string>(s);
  for (let i = 0; i < s; i++) {
    if (o + 1 > buf.length) return bad('FLOWBATCH.TRUNCATED', 'services');
    const l = buf[o++];
    if (o + l > buf.length) return bad('FLOWBATCH.TRUNCATED', 'services');
    const name = buf.toString('utf8', o, o + l);
    o += l;
    if (name.length < 1 || name.length > 32 || services.indexOf(name) >= 0 || Buffer.byteLength(name) !== l || !isStorableText(name)) {
      return bad('FLOWBATCH.INVALID', `service ${i}`);
    }
    services[i] = name;
  }
  const featureNames: string[] = new Array<string>(d);
  const seen = new Set<string>();
  for (let i = 0; i < d; i++) {
    if (o + 2 > buf.length) return bad('FLOWBATCH.TRUNCATED', 'feature names');
    const l = buf.readUInt16LE(o);
    o += 2;
    if (o + l > buf.length) return bad('FLOWBATCH.TRUNCATED', 'feature names');
    const name = buf.toString('utf8', o, o + l);
    o += l;
    // Round trip of the bytes (no replacement characters); __proto__ would not be an own key.
    if (seen.has(name) || name === '__proto__' || Buffer.byteLength(name) !== l || !isStorableText(name)) return bad('FLOWBATCH.INVALID', `feature name ${i}`);
    seen.add(name);
    featureNames[i] = name;
  }
  // ids
  if (o + n > buf.length) return bad('FLOWBATCH.TRUNCATED', 'id lengths');
  let idTotal = 0;
  for (let i = 0; i < n; i++) {
    const l = buf[o + i];
    if (l < 1 || l > 128) return bad('FLOWBATCH.INVALID', `id length of flow ${i}`);
    idTotal += l;
  }
  const oIdLen = o;
  o += n;
  // Size from here on: ids, fixed columns, features (packed: at least their classes; exact once read).
  const expect = o + idTotal + n * (FIXED_PER_FLOW - 1) + (packed ? n * ((d + 3) >> 2) : n * d * 8);
  if (buf.length < expect) return bad('FLOWBATCH.TRUNCATED', `${buf.length} bytes, ${expect} needed`);
  if (!packed && buf.length > expect) return bad('FLOWBATCH.INVALID', `${buf.length - expect} bytes after the batch`);
  // Column offsets in the message, in wire order.
  const oIds = o;
  const oProto = oIds + idTotal;
  const oSrcFamily = oProto + n;
  const oSrcAddr = oSrcFamily + n;
  const oDstFamily = oSrcAddr + 16 * n;
  const oDstAddr = oDstFamily + n;
  const oPorts = oDstAddr + 16 * n;
  const oEnums = oPorts + 8 * n;
  const oTimes = oEnums + 3 * n;
  const oFeatures = oTimes + 48 * n;
  const packedLen = packed ? buf.length - oFeatures : -1;
  const bytes = arenaBytes(n, d, idTotal, packedLen);
  const arena = pool ? pool.take(bytes) : new ArrayBuffer(bytes);
  const cols = new Columns(arena);
  // float64 columns first (aligned), then u32, u16, u8 (see Columns)
  const start = cols.f64s(buf, oTimes, n);
  const end = cols.f64s(buf, oTimes + 8 * n, n);
  const fwdPackets = cols.f64s(buf, oTimes + 16 * n, n);
  const bwdPackets = cols.f64s(buf, oTimes + 24 * n, n);
  const fwdBytes = cols.f64s(buf, oTimes + 32 * n, n);
  const bwdBytes = cols.f64s(buf, oTimes + 40 * n, n);
  const features = packed ? cols.f64Slots(n * d) : cols.f64s(buf, oFeatures, n * d);
  const idOff = cols.u32s(n + 1);
  const packedOff = packed ? cols.u32s(n + 1) : null;
  if (packedOff) {
    // Checked as they are read: bounds, and finite values.
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let q = oFeatures;
    for (let i = 0; i < n; i++) {
      packedOff[i] = q - oFeatures;
      q = unpackFeatures(buf, dv, q, buf.length, d, features, i * d, true);
      if (q === -1) return bad('FLOWBATCH.TRUNCATED', 'features');
      if (q === -2) return bad('FLOWBATCH.INVALID', `a feature of flow ${i} not finite`);
    }
    if (q < buf.length) return bad('FLOWBATCH.INVALID', `${buf.length - q} bytes after the batch`);
    packedOff[n] = q - oFeatures;
  }
  let at = 0;
  for (let i = 0; i < n; i++) {
    idOff[i] = at;
    at += buf[oIdLen + i];
  }
  idOff[n] = at;
  const srcPort = cols.u16s(buf, oPorts, n);
  const dstPort = cols.u16s(buf, oPorts + 2 * n, n);
  const vlan = cols.u16s(buf, oPorts + 4 * n, n);
  const vlanInner = cols.u16s(buf, oPorts + 6 * n, n);
  const proto = cols.u8s(buf, oProto, n);
  const srcFamily = cols.u8s(buf, oSrcFamily, n);
  const dstFamily = cols.u8s(buf, oDstFamily, n);
  const endReason = cols.u8s(buf, oEnums, n);
  const state = cols.u8s(buf, oEnums + n, n);
  const service = cols.u8s(buf, oEnums + 2 * n, n);
  const srcAddr = cols.u8s(buf, oSrcAddr, 16 * n);
  const dstAddr = cols.u8s(buf, oDstAddr, 16 * n);
  const idBytes = cols.bytes(buf, oIds, idTotal);
  const packedBytes = packedOff ? cols.bytes(buf, oFeatures, packedLen) : null;
  for (let i = 0; i < idTotal; i++) {
    const c = idBytes[i];
    if (c < 0x21 || c > 0x7e) return bad('FLOWBATCH.INVALID', 'id byte outside printable ASCII');
  }
  const nReasons = FLOW_END_REASONS.length;
  const nStates = FLOW_STATES.length;
  for (let i = 0; i < n; i++) {
    const sf = srcFamily[i];
    const df = dstFamily[i];
    if ((sf !== 4 && sf !== 6) || (df !== 4 && df !== 6)) return bad('FLOWBATCH.INVALID', `address family of flow ${i}`);
    if ((sf === 4 && !zeroTail(srcAddr, i * 16)) || (df === 4 && !zeroTail(dstAddr, i * 16))) return bad('FLOWBATCH.INVALID', `IPv4 address of flow ${i}`);
    if (vlan[i] > 4095 || vlanInner[i] > 4095) return bad('FLOWBATCH.INVALID', `vlan of flow ${i}`);
    if (endReason[i] >= nReasons || state[i] >= nStates || service[i] >= s) return bad('FLOWBATCH.INVALID', `enum of flow ${i}`);
    const t0 = start[i];
    const t1 = end[i];
    // `!(x >= 0)` is true for NaN too; Infinity fails isFinite.
    if (!(t0 >= 0) || !(t1 >= 0) || t0 === Infinity || t1 === Infinity) return bad('FLOWBATCH.INVALID', `time of flow ${i}`);
    if (!count(fwdPackets[i]) || !count(bwdPackets[i]) || !count(fwdBytes[i]) || !count(bwdBytes[i])) return bad('FLOWBATCH.INVALID', `counts of flow ${i}`);
  }
  // Version 1 (version 2's values were checked as they were unpacked): x - x is 0 for a finite x
  // and NaN for ±Infinity and NaN.
  if (!packed) {
    for (let k = 0; k < features.length; k++) {
      const v = features[k];
      if (v - v !== 0) return bad('FLOWBATCH.INVALID', `feature ${featureNames[k % d]} of flow ${Math.floor(k / d)} not finite`);
    }
  }
  const batch: FlowBatchV1 = {
    sensor, count: n, featureNames, services, idBytes, idOff, proto, srcFamily, srcAddr, dstFamily, dstAddr, srcPort, dstPort,
    vlan, vlanInner, endReason, state, service, start, end, fwdPackets, bwdPackets, fwdBytes, bwdBytes, features,
    packed: packedOff ? { bytes: packedBytes!, off: packedOff } : undefined,
  };
  pool?.own(batch, arena);
  return { ok: true, batch };
}

function zeroTail(a: Uint8Array, off: number): boolean {
  for (let k = 4; k < 16; k++) if (a[off + k] !== 0) return false;
  return true;
}

function count(v: number): boolean {
  return v >= 0 && Number.isSafeInteger(v);
}

/** Text form of the address of flow i (IPv4 dotted, IPv6 RFC 5952: lower case, longest zero run of ≥ 2 groups compressed). */
export function flowBatchAddress(family: Uint8Array, addr: Uint8Array, i: number): string {
  const o = i * 16;
  if (family[i] === 4) return `${addr[o]}.${addr[o + 1]}.${addr[o + 2]}.${addr[o + 3]}`;
  const g: number[] = new Array<number>(8);
  for (let k = 0; k < 8; k++) g[k] = (addr[o + 2 * k] << 8) | addr[o + 2 * k + 1];
  let bestStart = -1;
  let bestLen = 0;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let j = k;
    while (j < 8 && g[j] === 0) j++;
    if (j - k > bestLen) {
      bestStart = k;
      bestLen = j - k;
    }
    k = j;
  }
  const hex = (x: number): string => x.toString(16);
  if (bestLen < 2) return g.map(hex).join(':');
  return `${g.slice(0, bestStart).map(hex).join(':')}::${g.slice(bestStart + bestLen).map(hex).join(':')}`;
}

/** Flow i of a batch as a FlowV1 record (for the few flows that need one: anomalies, tools, tests). */
export function flowOfBatch(b: FlowBatchV1, i: number): FlowV1 {
  const d = b.featureNames.length;
  const features: Record<string, number> = {};
  for (let c = 0; c < d; c++) features[b.featureNames[c]] = b.features[i * d + c];
  return {
    id: b.idBytes.toString('latin1', b.idOff[i], b.idOff[i + 1]),
    sensor: b.sensor,
    proto: b.proto[i],
    srcIp: flowBatchAddress(b.srcFamily, b.srcAddr, i),
    srcPort: b.srcPort[i],
    dstIp: flowBatchAddress(b.dstFamily, b.dstAddr, i),
    dstPort: b.dstPort[i],
    vlan: b.vlan[i],
    vlanInner: b.vlanInner[i],
    start: b.start[i],
    end: b.end[i],
    endReason: FLOW_END_REASONS[b.endReason[i]],
    state: FLOW_STATES[b.state[i]],
    service: b.services[b.service[i]],
    fwdPackets: b.fwdPackets[i],
    bwdPackets: b.bwdPackets[i],
    fwdBytes: b.fwdBytes[i],
    bwdBytes: b.bwdBytes[i],
    features,
  };
}

/** Every flow of a batch as FlowV1 records. */
export function flowsOfBatch(b: FlowBatchV1): FlowV1[] {
  const out: FlowV1[] = new Array<FlowV1>(b.count);
  for (let i = 0; i < b.count; i++) out[i] = flowOfBatch(b, i);
  return out;
}

/** Parses an address into 16 bytes at `off`; returns its family (4 or 6) or 0 when its text would not come back unchanged. */
function putAddress(text: string, out: Uint8Array, off: number, scratchFam: Uint8Array): number {
  let fam = 0;
  if (text.indexOf(':') < 0) {
    const p = text.split('.');
    if (p.length !== 4) return 0;
    for (let k = 0; k < 4; k++) {
      const v = Number(p[k]);
      if (!/^\d{1,3}$/.test(p[k]) || v > 255) return 0;
      out[off + k] = v;
    }
    fam = 4;
  } else {
    const halves = text.split('::');
    if (halves.length > 2) return 0;
    const head = halves[0] ? halves[0].split(':') : [];
    const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
    if (halves.length === 1 && head.length !== 8) return 0;
    if (head.length + tail.length > (halves.length === 2 ? 7 : 8)) return 0;
    const groups = new Array<number>(8).fill(0);
    for (let k = 0; k < head.length; k++) {
      if (!/^[0-9a-f]{1,4}$/.test(head[k])) return 0;
      groups[k] = parseInt(head[k], 16);
    }
    for (let k = 0; k < tail.length; k++) {
      if (!/^[0-9a-f]{1,4}$/.test(tail[k])) return 0;
      groups[8 - tail.length + k] = parseInt(tail[k], 16);
    }
    for (let k = 0; k < 8; k++) {
      out[off + 2 * k] = groups[k] >> 8;
      out[off + 2 * k + 1] = groups[k] & 255;
    }
    fam = 6;
  }
  // Only a text the decoder gives back unchanged is encoded (else the flow travels as JSON).
  scratchFam[0] = fam;
  const slot = new Uint8Array(16);
  slot.set(out.subarray(off, off + 16));
  return flowBatchAddress(scratchFam, slot, 0) === text ? fam : 0;
}

const PRINTABLE_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * Encodes flows of one sensor (all with the same feature names, in the same order) into batch
 * messages of at most `maxFlows` flows. A flow the batch cannot carry exactly (an id outside
 * printable ASCII, an address text not in canonical form, other feature names, more than 255
 * services) is returned in `rest`, for the caller to send as JSON.
 */
export function encodeFlowBatches(flows: readonly FlowV1[], maxFlows = 512): { batches: Buffer[]; rest: FlowV1[] } {
  const rest: FlowV1[] = [];
  const batches: Buffer[] = [];
  if (flows.length === 0) return { batches, rest };
  const sensor = flows[0].sensor;
  const names = Object.keys(flows[0].features);
  if (sensor.length > 128 || !SENSOR_RE.test(sensor) || names.length > FLOW_BATCH_MAX_FEATURES || names.some((nm) => nm === '__proto__' || Buffer.byteLength(nm) > 65535 || !isStorableText(nm))) {
    return { batches, rest: [...flows] };
  }
  const fam = new Uint8Array(1);
  let cur: FlowV1[] = [];
  const services = new Map<string, number>();
  const addrs: Uint8Array[] = [];
  const fams: number[] = [];
  const flush = (): void => {
    if (cur.length) batches.push(encodeOne(sensor, names, [...services.keys()], cur, services, addrs, fams));
    cur = [];
    services.clear();
    addrs.length = 0;
    fams.length = 0;
  };
  const sameNames = (f: Record<string, number>): boolean => {
    let k = 0;
    for (const key in f) {
      if (key !== names[k++]) return false;
    }
    return k === names.length;
  };
  for (const f of flows) {
    const a = new Uint8Array(32);
    const sf = putAddress(f.srcIp, a, 0, fam);
    const df = putAddress(f.dstIp, a, 16, fam);
    if (f.sensor !== sensor || !sf || !df || !PRINTABLE_ID.test(f.id) || !sameNames(f.features) || !fits(f)) {
      rest.push(f);
      continue;
    }
    if (!services.has(f.service) && services.size === 255) flush();
    if (!services.has(f.service)) services.set(f.service, services.size);
    cur.push(f);
    addrs.push(a);
    fams.push(sf | (df << 4));
    if (cur.length >= maxFlows) flush();
  }
  flush();
  return { batches, rest };
}

const u16 = (v: number, max: number): boolean => Number.isInteger(v) && v >= 0 && v <= max;
const time = (v: number): boolean => v >= 0 && v !== Infinity;

/** The fields a batch column can hold (a valid FlowV1 always fits; anything else travels as JSON and is refused there). */
function fits(f: FlowV1): boolean {
  if (!u16(f.proto, 255) || !u16(f.srcPort, 65535) || !u16(f.dstPort, 65535) || !u16(f.vlan, 4095) || !u16(f.vlanInner, 4095)) return false;
  if (!time(f.start) || !time(f.end) || !count(f.fwdPackets) || !count(f.bwdPackets) || !count(f.fwdBytes) || !count(f.bwdBytes)) return false;
  if (FLOW_END_REASONS.indexOf(f.endReason) < 0 || FLOW_STATES.indexOf(f.state) < 0 || f.service.length < 1 || f.service.length > 32 || !isStorableText(f.service)) return false;
  for (const k in f.features) {
    const v = f.features[k];
    if (typeof v !== 'number' || v - v !== 0) return false;
  }
  return true;
}

function encodeOne(sensor: string, names: string[], services: string[], flows: FlowV1[], svc: Map<string, number>, addrs: Uint8Array[], fams: number[]): Buffer {
  const n = flows.length;
  const d = names.length;
  let head = O_SENSOR + 1 + sensor.length;
  for (const s of services) head += 1 + Buffer.byteLength(s);
  for (const nm of names) head += 2 + Buffer.byteLength(nm);
  let idTotal = 0;
  for (const f of flows) idTotal += f.id.length;
  const values = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let c = 0;
    for (const k in flows[i].features) values[i * d + c++] = flows[i].features[k];
  }
  let featureBytes = 0;
  for (let i = 0; i < n; i++) featureBytes += packedFeaturesBytes(values, i * d, d);
  const size = head + n + idTotal + n * (FIXED_PER_FLOW - 1) + featureBytes;
  const b = Buffer.alloc(size);
  b.writeUInt32LE(MAGIC, O_MAGIC);
  b[O_VERSION] = FLOW_BATCH_VERSION;
  b[O_FLAGS] = 0;
  b.writeUInt16LE(d, O_D);
  b.writeUInt32LE(n, O_N);
  b[O_S] = services.length;
  let o = O_SENSOR;
  b[o++] = sensor.length;
  o += b.write(sensor, o, 'latin1');
  for (const s of services) {
    const l = Buffer.byteLength(s);
    b[o++] = l;
    o += b.write(s, o, 'utf8');
  }
  for (const nm of names) {
    b.writeUInt16LE(Buffer.byteLength(nm), o);
    o += 2;
    o += b.write(nm, o, 'utf8');
  }
  for (let i = 0; i < n; i++) b[o++] = flows[i].id.length;
  for (let i = 0; i < n; i++) o += b.write(flows[i].id, o, 'latin1');
  for (let i = 0; i < n; i++) b[o++] = flows[i].proto;
  for (let i = 0; i < n; i++) b[o++] = fams[i] & 15;
  for (let i = 0; i < n; i++, o += 16) b.set(addrs[i].subarray(0, 16), o);
  for (let i = 0; i < n; i++) b[o++] = fams[i] >> 4;
  for (let i = 0; i < n; i++, o += 16) b.set(addrs[i].subarray(16, 32), o);
  for (let i = 0; i < n; i++, o += 2) b.writeUInt16LE(flows[i].srcPort, o);
  for (let i = 0; i < n; i++, o += 2) b.writeUInt16LE(flows[i].dstPort, o);
  for (let i = 0; i < n; i++, o += 2) b.writeUInt16LE(flows[i].vlan, o);
  for (let i = 0; i < n; i++, o += 2) b.writeUInt16LE(flows[i].vlanInner, o);
  for (let i = 0; i < n; i++) b[o++] = FLOW_END_REASONS.indexOf(flows[i].endReason);
  for (let i = 0; i < n; i++) b[o++] = FLOW_STATES.indexOf(flows[i].state);
  for (let i = 0; i < n; i++) b[o++] = svc.get(flows[i].service)!;
  for (let i = 0; i < n; i++, o += 8) b.writeDoubleLE(flows[i].start, o);
  for (let i = 0; i < n; i++, o += 8) b.writeDoubleLE(flows[i].end, o);
  for (let i = 0; i < n; i++, o += 8) b.writeDoubleLE(flows[i].fwdPackets, o);
  for (let i = 0; i < n; i++, o += 8) b.writeDoubleLE(flows[i].bwdPackets, o);
  for (let i = 0; i < n; i++, o += 8) b.writeDoubleLE(flows[i].fwdBytes, o);
  for (let i = 0; i < n; i++, o += 8) b.writeDoubleLE(flows[i].bwdBytes, o);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < n; i++) o = packFeatures(values, i * d, d, b, dv, o);
  if (o !== size) throw new Error(`flow batch: ${o} bytes written, ${size} sized`); // a bug, not an input
  return b;
}

/** True when a flows-topic message value is a flow batch (else it is read as one JSON FlowV1). */
export function isFlowBatch(bytes: Buffer | null | undefined): boolean {
  return bytes != null && bytes.length > 0 && bytes[0] === FLOW_BATCH_FIRST_BYTE;
}

export type ParsedFlows = { ok: true; flows: FlowV1[] } | { ok: false; code: string; reason: string };

/** Reads one `netsentry.flows.v1` message of either encoding into FlowV1 records (tools and tests; the detector reads batches as columns). */
export function parseFlowsMessage(bytes: Buffer | null | undefined): ParsedFlows {
  if (isFlowBatch(bytes)) {
    const r = decodeFlowBatch(bytes!);
    return r.ok ? { ok: true, flows: flowsOfBatch(r.batch) } : r;
  }
  const f = parseJsonMessage(FlowV1, bytes);
  return f.ok ? { ok: true, flows: [f.value] } : f;
}
