import { FLOW_END_REASONS, FLOW_STATES, type FlowBatchV1, type FlowV1 } from '@netsentry/contracts';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { copyChunks, copyNumber, copyText, withPgTransaction } from './copy';
import { FlowEntity } from './entities';
import { featureBlock, featureBlockMaxBytes, writeFeatureBlock, writePackedFeatureBlock } from './feature-block';
import { featureSetId, featureSetNames, featuresRecord } from './feature-sets';

const FLOW_COLUMNS =
  'id, sensor, proto, src_ip, src_port, dst_ip, dst_port, vlan, vlan_inner, start_ts, end_ts, ' +
  'end_reason, state, service, fwd_packets, bwd_packets, fwd_bytes, bwd_bytes, feature_set, features';

/** COPY text of the features bytea: `\\x` and the hex of the packed block of the values in the order of `names`. */
function featureBlockText(features: Record<string, number>, names: readonly string[]): string {
  const v = new Float64Array(names.length);
  for (let c = 0; c < names.length; c++) {
    const x = features[names[c]];
    if (!Number.isFinite(x)) throw new RangeError(`COPY: non-finite number ${x}`);
    v[c] = x;
  }
  return '\\\\x' + featureBlock(v).toString('hex');
}

function encodeFlow(f: FlowV1, set: FeatureSetOf): string {
  return (
    copyText(f.id) + '\t' + copyText(f.sensor) + '\t' + f.proto + '\t' + f.srcIp + '\t' + f.srcPort + '\t' +
    f.dstIp + '\t' + f.dstPort + '\t' + f.vlan + '\t' + f.vlanInner + '\t' + copyNumber(f.start) + '\t' +
    copyNumber(f.end) + '\t' + f.endReason + '\t' + f.state + '\t' + copyText(f.service) + '\t' +
    f.fwdPackets + '\t' + f.bwdPackets + '\t' + f.fwdBytes + '\t' + f.bwdBytes + '\t' +
    set.id + '\t' + featureBlockText(f.features, set.names)
  );
}

/** A feature set resolved for writing: its id and its names in order. */
interface FeatureSetOf {
  id: number;
  names: readonly string[];
}

/** True when `rec`'s keys are exactly `names`, in that order. */
function keysAre(rec: Record<string, number>, names: readonly string[]): boolean {
  let c = 0;
  for (const k in rec) if (c >= names.length || names[c++] !== k) return false;
  return c === names.length;
}

/**
 * The feature set of every flow (flows with the keys of the one before share its set: one lookup
 * per list of names, not per flow), and of every batch.
 */
async function resolveSets(ds: DataSource, flows: readonly FlowV1[], batches: readonly FlowBatchV1[]): Promise<{ flowSets: FeatureSetOf[]; batchSets: FeatureSetOf[] }> {
  const flowSets: FeatureSetOf[] = new Array<FeatureSetOf>(flows.length);
  let cur: FeatureSetOf | null = null;
  for (let i = 0; i < flows.length; i++) {
    const rec = flows[i].features;
    if (!cur || !keysAre(rec, cur.names)) {
      const names = Object.keys(rec);
      cur = { id: await featureSetId(ds, names), names };
    }
    flowSets[i] = cur;
  }
  const batchSets: FeatureSetOf[] = [];
  for (const b of batches) batchSets.push({ id: await featureSetId(ds, b.featureNames), names: b.featureNames });
  return { flowSets, batchSets };
}

/** Rows per COPY chunk. */
const CHUNK_ROWS = 2000;

/** Binary COPY header: signature, flags, header extension length (PostgreSQL docs, "Binary Format"). */
const PGCOPY_HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
/** Binary COPY trailer: a field count of -1. */
const PGCOPY_TRAILER = Buffer.from([0xff, 0xff]);
const FLOW_FIELDS = 20;

/** Bytes per binary COPY chunk. */
const CHUNK_BYTES = 1 << 20;
/** Chunk buffers kept for reuse (at most this many: 16 MiB). */
const CHUNK_POOL_MAX = 16;
const chunkPool: Uint8Array[] = [];

/**
 * Chunk buffers are reused: a fresh megabyte per ~1 100 rows was most of the detector's external
 * memory churn, and V8 answers that with full collections (on its helper threads). A COPY's
 * buffers go back to the pool only once the COPY has completed: PostgreSQL answers after it has
 * read CopyDone, which the client wrote after every chunk, so the socket no longer reads them. A
 * failed COPY's buffers are left to the GC (a write may still be pending).
 */
function releaseChunks(lease: Uint8Array[]): void {
  for (const b of lease) if (b.length === CHUNK_BYTES && chunkPool.length < CHUNK_POOL_MAX) chunkPool.push(b);
  lease.length = 0;
}

/**
 * Binary COPY rows of decoded flow batches, straight from the columns: every field is a length
 * and its bytes in PostgreSQL's binary send format (big-endian integers and float8, inet as
 * family/bits/is_cidr/length/address), the features one packed block (feature-block.ts). Writes into pooled
 * buffers, each listed in `lease` (every byte sent is written first: no zero fill needed).
 */
class FlowBatchBinaryWriter {
  private buf: Uint8Array;
  private dv: DataView;
  private pos = 0;
  private b: FlowBatchV1 | null = null;
  private sensor = new Uint8Array(0);
  private services: Uint8Array[] = [];
  private setId = 0;
  private rowMax = 0;
  private static readonly reasons = FLOW_END_REASONS.map((x) => Buffer.from(x, 'utf8'));
  private static readonly states = FLOW_STATES.map((x) => Buffer.from(x, 'utf8'));

  constructor(private readonly lease: Uint8Array[]) {
    this.buf = this.next();
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  private next(): Uint8Array {
    const b = chunkPool.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
    this.lease.push(b);
    return b;
  }

  begin(b: FlowBatchV1, setId: number): void {
    this.b = b;
    this.setId = setId;
    this.sensor = Buffer.from(b.sensor, 'utf8');
    this.services = b.services.map((x) => Buffer.from(x, 'utf8'));
    const d = b.featureNames.length;
    // Longest row: field count, 20 lengths, id, sensor, 2 inet, 2 int4, 4 int2, 2 float8, enums, service, 4 int8, features.
    this.rowMax = 2 + FLOW_FIELDS * 4 + 128 + this.sensor.length + 2 * 20 + 2 * 4 + 4 * 2 + 2 * 8 + 64 + Math.max(0, ...this.services.map((x) => x.length)) + 4 * 8 + featureBlockMaxBytes(d);
  }

  fits(): boolean {
    if (this.pos + this.rowMax <= this.buf.length) return true;
    if (this.pos === 0) {
      this.buf = new Uint8Array(this.rowMax * 2);
      this.dv = new DataView(this.buf.buffer);
    }
    return this.pos === 0;
  }

  /** Raw bytes (the header, the trailer). */
  raw(bytes: Uint8Array): void {
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  row(i: number): void {
    const b = this.b!;
    const dv = this.dv;
    const out = this.buf;
    let p = this.pos;
    dv.setInt16(p, FLOW_FIELDS);
    p += 2;
    // id (printable ASCII)
    const i0 = b.idOff[i];
    const i1 = b.idOff[i + 1];
    dv.setInt32(p, i1 - i0);
    p += 4;
    const ids = b.idBytes;
    for (let k = i0; k < i1; k++) out[p++] = ids[k];
    p = this.bytes(p, this.sensor);
    dv.setInt32(p, 2);
    dv.setInt16(p + 4, b.proto[i]);
    p += 6;
    p = this.inet(p, b.srcFamily[i], b.srcAddr, i);
    dv.setInt32(p, 4);
    dv.setInt32(p + 4, b.srcPort[i]);
    p += 8;
    p = this.inet(p, b.dstFamily[i], b.dstAddr, i);
    dv.setInt32(p, 4);
    dv.setInt32(p + 4, b.dstPort[i]);
    dv.setInt32(p + 8, 2);
    dv.setInt16(p + 12, b.vlan[i]);
    dv.setInt32(p + 14, 2);
    dv.setInt16(p + 18, b.vlanInner[i]);
    dv.setInt32(p + 20, 8);
    dv.setFloat64(p + 24, b.start[i]);
    dv.setInt32(p + 32, 8);
    dv.setFloat64(p + 36, b.end[i]);
    p += 44;
    p = this.bytes(p, FlowBatchBinaryWriter.reasons[b.endReason[i]]);
    p = this.bytes(p, FlowBatchBinaryWriter.states[b.state[i]]);
    p = this.bytes(p, this.services[b.service[i]]);
    p = this.int8(p, b.fwdPackets[i]);
    p = this.int8(p, b.bwdPackets[i]);
    p = this.int8(p, b.fwdBytes[i]);
    p = this.int8(p, b.bwdBytes[i]);
    dv.setInt32(p, 2);
    dv.setInt16(p + 4, this.setId);
    p += 6;
    // features: packed (as the batch carried them, or from the feature column); its length once written
    const d = b.featureNames.length;
    const pk = b.packed;
    const end = pk ? writePackedFeatureBlock(d, pk.bytes, pk.off[i], pk.off[i + 1], out, p + 4) : writeFeatureBlock(b.features, i * d, d, out, dv, p + 4);
    dv.setInt32(p, end - p - 4);
    this.pos = end;
  }

  /** The bytes written so far, as a chunk; later rows go to another buffer. */
  take(): Buffer {
    const chunk = Buffer.from(this.buf.buffer, this.buf.byteOffset, this.pos);
    if (this.pos > 0) {
      this.buf = this.next();
      this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    }
    this.pos = 0;
    return chunk;
  }

  /** The last chunk (nothing is written after it). */
  end(): Buffer {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.pos);
  }

  private bytes(p: number, x: Uint8Array): number {
    this.dv.setInt32(p, x.length);
    p += 4;
    const out = this.buf;
    for (let k = 0; k < x.length; k++) out[p++] = x[k];
    return p;
  }

  /** inet binary: family (PGSQL_AF_INET 2, PGSQL_AF_INET6 3), bits, is_cidr, address length, address. */
  private inet(p: number, family: number, addr: Uint8Array, i: number): number {
    const out = this.buf;
    const o = i * 16;
    if (family === 4) {
      this.dv.setInt32(p, 8);
      out[p + 4] = 2;
      out[p + 5] = 32;
      out[p + 6] = 0;
      out[p + 7] = 4;
      out[p + 8] = addr[o];
      out[p + 9] = addr[o + 1];
      out[p + 10] = addr[o + 2];
      out[p + 11] = addr[o + 3];
      return p + 12;
    }
    this.dv.setInt32(p, 20);
    out[p + 4] = 3;
    out[p + 5] = 128;
    out[p + 6] = 0;
    out[p + 7] = 16;
    for (let k = 0; k < 16; k++) out[p + 8 + k] = addr[o + k];
    return p + 24;
  }

  /** A safe integer ≥ 0 as int8. */
  private int8(p: number, v: number): number {
    this.dv.setInt32(p, 8);
    this.dv.setUint32(p + 4, Math.floor(v / 4294967296));
    this.dv.setUint32(p + 8, v >>> 0);
    return p + 12;
  }
}

/** Binary COPY chunks of the batches' rows (header first, trailer last), in buffers listed in `lease`. */
function* flowBatchBinaryRows(batches: readonly FlowBatchV1[], sets: readonly FeatureSetOf[], lease: Uint8Array[]): Generator<Buffer> {
  const w = new FlowBatchBinaryWriter(lease);
  w.raw(PGCOPY_HEADER);
  for (let k = 0; k < batches.length; k++) {
    const b = batches[k];
    w.begin(b, sets[k].id);
    for (let i = 0; i < b.count; i++) {
      while (!w.fits()) yield w.take();
      w.row(i);
    }
  }
  if (!w.fits()) yield w.take();
  w.raw(PGCOPY_TRAILER);
  yield w.end();
}

function* flowRows(flows: readonly FlowV1[], sets: readonly FeatureSetOf[]): Generator<string> {
  for (let i = 0; i < flows.length; i += CHUNK_ROWS) {
    const end = Math.min(flows.length, i + CHUNK_ROWS);
    let s = '';
    for (let j = i; j < end; j++) s += encodeFlow(flows[j], sets[j]) + '\n';
    yield s;
  }
}

/**
 * One COPY of rows: text or binary format, its chunks made anew on every call (a retry
 * re-encodes); binary chunks are pooled buffers, listed in `lease`.
 */
interface CopyPart {
  binary: boolean;
  chunks: (lease: Uint8Array[]) => Iterable<string | Buffer>;
}

/** Every part COPYed into `table`; returns the rows copied. */
async function copyParts(c: PoolClient, table: string, parts: readonly CopyPart[]): Promise<number> {
  let n = 0;
  for (const p of parts) {
    const lease: Uint8Array[] = [];
    n += await copyChunks(c, `${table} (${FLOW_COLUMNS})`, p.chunks(lease), p.binary);
    // Completed: PostgreSQL has read every chunk (a failed COPY's buffers are not reused).
    releaseChunks(lease);
  }
  return n;
}

/** SQLSTATEs after which the direct COPY falls back to staging: unique_violation, deadlock_detected. */
const CONFLICT = new Set(['23505', '40P01']);
/** Attempts of the staging insert when a concurrent direct COPY made it a deadlock victim. */
const STAGED_ATTEMPTS = 5;

/** Keys of a few flows, (start_ts, id) as the primary key has them. */
interface FlowKeys {
  starts: number[];
  ids: string[];
}

/**
 * `rows` stored idempotently; `probe`: the keys of a few of them (first, last). When one of them is stored
 * already the batch is taken for a redelivery and goes straight to staging (a failed direct COPY
 * would have encoded and sent every row once for nothing). Only a choice of path: correctness
 * never depends on it.
 */
async function storeRows(ds: DataSource, rows: CopyPart[], probe: FlowKeys): Promise<number> {
  return withPgTransaction(ds, async (c: PoolClient) => {
    const seen = await c.query(
      'SELECT 1 FROM flows f JOIN unnest($1::float8[], $2::text[]) AS p(s, id) ON f.start_ts = p.s AND f.id = p.id LIMIT 1',
      [probe.starts, probe.ids],
    );
    if (!seen.rowCount) return direct(c, rows);
    return staged(c, rows);
  });
}

/** Direct COPY under a savepoint; on a conflict, the staged path. */
async function direct(c: PoolClient, rows: CopyPart[]): Promise<number> {
  // Optimistic: COPY straight into flows. New flows (the usual case) cost one pass; a batch with
  // any stored id (redelivery) or a duplicate id fails on the primary key at its first such row,
  // which rolls back to the savepoint; so does a concurrent writer's row with the same id (the
  // COPY waits for that writer's commit, then fails) or a deadlock between two direct COPYs of
  // overlapping batches. Then the idempotent staged path stores what is new.
  await c.query('SAVEPOINT direct');
  try {
    const n = await copyParts(c, 'flows', rows);
    await c.query('RELEASE SAVEPOINT direct');
    return n;
  } catch (e) {
    if (!CONFLICT.has((e as { code?: string }).code ?? '')) throw e;
    await c.query('ROLLBACK TO SAVEPOINT direct');
  }
  return staged(c, rows);
}

/** COPY into staging, then INSERT … ON CONFLICT DO NOTHING. */
async function staged(c: PoolClient, rows: CopyPart[]): Promise<number> {
  await c.query('SAVEPOINT staged');
  const stage = async (): Promise<void> => {
    // One staging table per pooled connection, emptied at every commit.
    await c.query('CREATE TEMP TABLE IF NOT EXISTS flows_stage (LIKE flows INCLUDING DEFAULTS) ON COMMIT DELETE ROWS');
    await copyParts(c, 'flows_stage', rows);
  };
  await stage();
  for (let attempt = 1; ; attempt++) {
    try {
      // ORDER BY the key: concurrent staged writers of overlapping batches take the unique-index
      // locks in the same order, so they wait for each other instead of deadlocking; a direct COPY
      // (any order) can still make this the deadlock victim, hence the bounded retry.
      const r = await c.query(
        `INSERT INTO flows (${FLOW_COLUMNS}) SELECT ${FLOW_COLUMNS} FROM flows_stage ORDER BY start_ts, id ON CONFLICT (start_ts, id) DO NOTHING`,
      );
      await c.query('RELEASE SAVEPOINT staged');
      return r.rowCount ?? 0;
    } catch (e) {
      if ((e as { code?: string }).code !== '40P01' || attempt >= STAGED_ATTEMPTS) throw e;
      await c.query('ROLLBACK TO SAVEPOINT staged');
      // The staging rows (and a staging table created in this transaction) were undone: again.
      await stage();
    }
  }
}

/**
 * Stores flows idempotently, in one transaction: COPY straight into flows; if any key (start, id) is already
 * stored (or being stored by another writer), COPY into a session-local staging table and
 * `INSERT ... ON CONFLICT (start_ts, id) DO NOTHING` instead (straight away when the first or last id is
 * stored: a redelivery). A redelivered batch (same flow ids) adds nothing. Returns how many rows
 * were new. Input must already satisfy FlowV1.
 */
export function storeFlows(ds: DataSource, flows: readonly FlowV1[]): Promise<number> {
  return storeFlowBatches(ds, [], flows);
}

/**
 * storeFlows for decoded flow batches (libs/contracts flow-batch.v1, validated by its decoder)
 * plus any single flows, in one transaction: batch rows go by binary COPY straight from the
 * columns, single flows by text COPY.
 */
export async function storeFlowBatches(ds: DataSource, batches: readonly FlowBatchV1[], flows: readonly FlowV1[] = []): Promise<number> {
  if (flows.length === 0 && batches.every((b) => b.count === 0)) return 0;
  const { flowSets, batchSets } = await resolveSets(ds, flows, batches);
  const probe: FlowKeys = { starts: [], ids: [] };
  for (const f of flows.length ? [flows[0], flows[flows.length - 1]] : []) {
    probe.starts.push(f.start);
    probe.ids.push(f.id);
  }
  const full = batches.filter((x) => x.count > 0);
  for (const b of full.length ? [full[0], full[full.length - 1]] : []) {
    for (const i of [0, b.count - 1]) {
      probe.starts.push(b.start[i]);
      probe.ids.push(b.idBytes.toString('latin1', b.idOff[i], b.idOff[i + 1]));
    }
  }
  const parts: CopyPart[] = [];
  if (flows.length) parts.push({ binary: false, chunks: () => flowRows(flows, flowSets) });
  if (full.length) {
    parts.push({ binary: true, chunks: (lease) => flowBatchBinaryRows(batches, batchSets, lease) });
  }
  return storeRows(ds, parts, probe);
}

export interface FlowQuery {
  /** Flows where this address is source or destination. */
  host?: string;
  sensor?: string;
  /** Flows that started at or after / before these epoch seconds. */
  since?: number;
  until?: number;
  /** Default 200, at most 10 000. */
  limit?: number;
}

function toFlow(e: FlowEntity, sets: Map<number, readonly string[]>): FlowV1 {
  return {
    id: e.id,
    sensor: e.sensor,
    proto: e.proto,
    srcIp: e.srcIp,
    srcPort: e.srcPort,
    dstIp: e.dstIp,
    dstPort: e.dstPort,
    vlan: e.vlan,
    vlanInner: e.vlanInner,
    start: e.start,
    end: e.end,
    endReason: e.endReason as FlowV1['endReason'],
    state: e.state as FlowV1['state'],
    service: e.service,
    fwdPackets: Number(e.fwdPackets),
    bwdPackets: Number(e.bwdPackets),
    fwdBytes: Number(e.fwdBytes),
    bwdBytes: Number(e.bwdBytes),
    // A row that does not fit its feature set (never written so) shows no features rather than wrong ones.
    features: featuresRecord(sets.get(e.featureSet), e.features) ?? {},
  };
}

/** Flows by host and time, newest first (console "flows of host X"). */
export async function findFlows(ds: DataSource, q: FlowQuery = {}): Promise<FlowV1[]> {
  const qb = ds.getRepository(FlowEntity).createQueryBuilder('f');
  if (q.host) qb.andWhere('(f.src_ip = :host OR f.dst_ip = :host)', { host: q.host });
  if (q.sensor) qb.andWhere('f.sensor = :sensor', { sensor: q.sensor });
  if (q.since !== undefined) qb.andWhere('f.start_ts >= :since', { since: q.since });
  if (q.until !== undefined) qb.andWhere('f.start_ts < :until', { until: q.until });
  qb.orderBy('f.start_ts', 'DESC').addOrderBy('f.id', 'ASC').limit(Math.min(q.limit ?? 200, 10000));
  const rows = await qb.getMany();
  const sets = await featureSetNames(ds, rows.map((r) => r.featureSet));
  return rows.map((r) => toFlow(r, sets));
}

/** Number of stored flows (optionally of one sensor). */
export async function countFlows(ds: DataSource, sensor?: string): Promise<number> {
  const r: { n: string }[] = sensor
    ? await ds.query('SELECT count(*) AS n FROM flows WHERE sensor = $1', [sensor])
    : await ds.query('SELECT count(*) AS n FROM flows');
  return Number(r[0].n);
}
