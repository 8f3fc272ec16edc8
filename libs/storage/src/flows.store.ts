import { FLOW_END_REASONS, FLOW_STATES, flowBatchAddress, type FlowBatchV1, type FlowV1 } from '@netsentry/contracts';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { copyChunks, copyNumber, copyText, withPgTransaction } from './copy';
import { FlowEntity } from './entities';
import { featureSetId, featureSetNames, featuresRecord } from './feature-sets';

const FLOW_COLUMNS =
  'id, sensor, proto, src_ip, src_port, dst_ip, dst_port, vlan, vlan_inner, start_ts, end_ts, ' +
  'end_reason, state, service, fwd_packets, bwd_packets, fwd_bytes, bwd_bytes, feature_set, features';

/** COPY text of a float8[] literal: `{v1,v2,...}` (finite numbers; FlowV1 allows nothing else). */
function featureArray(features: Record<string, number>, names: readonly string[]): string {
  let s = '{';
  for (let c = 0; c < names.length; c++) s += (c ? ',' : '') + copyNumber(features[names[c]]);
  return s + '}';
}

function encodeFlow(f: FlowV1, set: FeatureSetOf): string {
  return (
    copyText(f.id) + '\t' + copyText(f.sensor) + '\t' + f.proto + '\t' + f.srcIp + '\t' + f.srcPort + '\t' +
    f.dstIp + '\t' + f.dstPort + '\t' + f.vlan + '\t' + f.vlanInner + '\t' + copyNumber(f.start) + '\t' +
    copyNumber(f.end) + '\t' + f.endReason + '\t' + f.state + '\t' + copyText(f.service) + '\t' +
    f.fwdPackets + '\t' + f.bwdPackets + '\t' + f.fwdBytes + '\t' + f.bwdBytes + '\t' +
    set.id + '\t' + featureArray(f.features, set.names)
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

/**
 * COPY text rows (bytes) of decoded flow batches, written straight from the columns into a
 * buffer (no FlowV1 objects, no per-row strings but the non-integer numbers): the same text
 * encodeFlow gives for the same flow. The features are a float8[] literal `{v1,v2,...}` in the
 * batch's feature order (its feature set); integers are written digit by digit, other numbers as
 * String() gives them (shortest round trip, which float8 input reads back exactly). Short pieces
 * are copied byte by byte: a Buffer call per piece costs more than its bytes.
 */
class FlowBatchRowWriter {
  private buf: Uint8Array = new Uint8Array(1 << 20);
  private pos = 0;
  private b: FlowBatchV1 | null = null;
  private sensor = new Uint8Array(0);
  private services: Uint8Array[] = [];
  private setId = 0;
  private rowMax = 0;
  private static readonly reasons = FLOW_END_REASONS.map((x) => Buffer.from(x, 'latin1'));
  private static readonly states = FLOW_STATES.map((x) => Buffer.from(x, 'latin1'));

  /** Starts the rows of batch `b`, whose feature names are feature set `setId`. */
  begin(b: FlowBatchV1, setId: number): void {
    const d = b.featureNames.length;
    this.b = b;
    this.setId = setId;
    this.sensor = Buffer.from(copyText(b.sensor), 'utf8');
    this.services = b.services.map((x) => Buffer.from(copyText(x), 'utf8'));
    // Longest row: id (escaped), addresses, 13 numbers, enums, service, features and commas.
    this.rowMax = 2 * 128 + 2 * 40 + 13 * 26 + 64 + d * 27 + this.sensor.length + Math.max(0, ...this.services.map((x) => x.length));
  }

  /** True when the next row surely fits the buffer (else take() first). */
  fits(): boolean {
    if (this.pos + this.rowMax <= this.buf.length) return true;
    if (this.pos === 0) this.buf = new Uint8Array(this.rowMax * 2);
    return this.pos === 0;
  }

  /** Writes row i of the current batch. */
  row(i: number): void {
    const b = this.b!;
    const out = this.buf;
    const ids = b.idBytes;
    let p = this.pos;
    // id: printable ASCII; only a backslash needs escaping
    for (let k = b.idOff[i], e = b.idOff[i + 1]; k < e; k++) {
      const ch = ids[k];
      if (ch === 0x5c) out[p++] = 0x5c;
      out[p++] = ch;
    }
    out[p++] = 9;
    this.pos = p;
    this.put(this.sensor);
    out[this.pos++] = 9;
    this.num(b.proto[i]);
    out[this.pos++] = 9;
    this.address(b.srcFamily, b.srcAddr, i);
    out[this.pos++] = 9;
    this.num(b.srcPort[i]);
    out[this.pos++] = 9;
    this.address(b.dstFamily, b.dstAddr, i);
    out[this.pos++] = 9;
    this.num(b.dstPort[i]);
    out[this.pos++] = 9;
    this.num(b.vlan[i]);
    out[this.pos++] = 9;
    this.num(b.vlanInner[i]);
    out[this.pos++] = 9;
    this.num(b.start[i]);
    out[this.pos++] = 9;
    this.num(b.end[i]);
    out[this.pos++] = 9;
    this.put(FlowBatchRowWriter.reasons[b.endReason[i]]);
    out[this.pos++] = 9;
    this.put(FlowBatchRowWriter.states[b.state[i]]);
    out[this.pos++] = 9;
    this.put(this.services[b.service[i]]);
    out[this.pos++] = 9;
    this.num(b.fwdPackets[i]);
    out[this.pos++] = 9;
    this.num(b.bwdPackets[i]);
    out[this.pos++] = 9;
    this.num(b.fwdBytes[i]);
    out[this.pos++] = 9;
    this.num(b.bwdBytes[i]);
    out[this.pos++] = 9;
    this.num(this.setId);
    out[this.pos++] = 9;
    const d = b.featureNames.length;
    const f = b.features;
    out[this.pos++] = 0x7b; // {
    for (let c = 0, o = i * d; c < d; c++, o++) {
      if (c) out[this.pos++] = 0x2c; // ,
      this.num(f[o]);
    }
    out[this.pos++] = 0x7d; // }
    out[this.pos++] = 10;
  }

  /** What is written so far (empty when nothing), handed over: the writer continues in a fresh buffer. */
  take(): Buffer {
    const chunk = Buffer.from(this.buf.buffer, this.buf.byteOffset, this.pos);
    if (this.pos > 0) this.buf = new Uint8Array(this.buf.length);
    this.pos = 0;
    return chunk;
  }

  /** Address i of a column: IPv4 written octet by octet, IPv6 in its text form. */
  private address(family: Uint8Array, addr: Uint8Array, i: number): void {
    if (family[i] !== 4) {
      this.ascii(flowBatchAddress(family, addr, i));
      return;
    }
    const o = i * 16;
    this.num(addr[o]);
    this.buf[this.pos++] = 0x2e;
    this.num(addr[o + 1]);
    this.buf[this.pos++] = 0x2e;
    this.num(addr[o + 2]);
    this.buf[this.pos++] = 0x2e;
    this.num(addr[o + 3]);
  }

  /** An ASCII string (IPv6 addresses, numbers). */
  private ascii(t: string): void {
    const out = this.buf;
    let p = this.pos;
    for (let k = 0; k < t.length; k++) out[p++] = t.charCodeAt(k);
    this.pos = p;
  }

  private put(bytes: Uint8Array): void {
    const out = this.buf;
    let p = this.pos;
    for (let k = 0; k < bytes.length; k++) out[p++] = bytes[k];
    this.pos = p;
  }

  /** A finite number as COPY text (the decoder refused every other). */
  private num(v: number): void {
    const out = this.buf;
    if (v === (v | 0)) {
      // -0 lands here too and prints "0", as String(-0) and JSON.stringify(-0) do.
      if (v < 0) {
        out[this.pos++] = 0x2d;
        v = -v;
      }
      if (v < 10) {
        out[this.pos++] = 48 + v;
        return;
      }
      let len = 0;
      for (let x = v; x > 0; x = (x / 10) | 0) len++;
      let p = this.pos + len;
      this.pos = p;
      for (; v > 0; v = (v / 10) | 0) out[--p] = 48 + (v % 10);
      return;
    }
    this.ascii(String(v));
  }
}

/** COPY chunks of the batches' rows (`sets[k]`: the feature set of batch k). */
function* flowBatchRows(batches: readonly FlowBatchV1[], sets: readonly FeatureSetOf[]): Generator<Buffer> {
  const w = new FlowBatchRowWriter();
  for (let k = 0; k < batches.length; k++) {
    const b = batches[k];
    w.begin(b, sets[k].id);
    for (let i = 0; i < b.count; i++) {
      while (!w.fits()) yield w.take();
      w.row(i);
    }
  }
  const last = w.take();
  if (last.length) yield last;
}

function* flowRows(flows: readonly FlowV1[], sets: readonly FeatureSetOf[]): Generator<string> {
  for (let i = 0; i < flows.length; i += CHUNK_ROWS) {
    const end = Math.min(flows.length, i + CHUNK_ROWS);
    let s = '';
    for (let j = i; j < end; j++) s += encodeFlow(flows[j], sets[j]) + '\n';
    yield s;
  }
}

/** SQLSTATEs after which the direct COPY falls back to staging: unique_violation, deadlock_detected. */
const CONFLICT = new Set(['23505', '40P01']);
/** Attempts of the staging insert when a concurrent direct COPY made it a deadlock victim. */
const STAGED_ATTEMPTS = 5;

/**
 * `rows` stored idempotently; `probe`: a few of their ids (first, last). When one of them is stored
 * already the batch is taken for a redelivery and goes straight to staging (a failed direct COPY
 * would have encoded and sent every row once for nothing). Only a choice of path: correctness
 * never depends on it.
 */
async function storeRows(ds: DataSource, rows: () => Iterable<string | Buffer>, probe: string[]): Promise<number> {
  return withPgTransaction(ds, async (c: PoolClient) => {
    const seen = await c.query('SELECT 1 FROM flows WHERE id = ANY($1::text[]) LIMIT 1', [probe]);
    if (!seen.rowCount) return direct(c, rows);
    return staged(c, rows);
  });
}

/** Direct COPY under a savepoint; on a conflict, the staged path. */
async function direct(c: PoolClient, rows: () => Iterable<string | Buffer>): Promise<number> {
  // Optimistic: COPY straight into flows. New flows (the usual case) cost one pass; a batch with
  // any stored id (redelivery) or a duplicate id fails on the primary key at its first such row,
  // which rolls back to the savepoint; so does a concurrent writer's row with the same id (the
  // COPY waits for that writer's commit, then fails) or a deadlock between two direct COPYs of
  // overlapping batches. Then the idempotent staged path stores what is new.
  await c.query('SAVEPOINT direct');
  try {
    const n = await copyChunks(c, `flows (${FLOW_COLUMNS})`, rows());
    await c.query('RELEASE SAVEPOINT direct');
    return n;
  } catch (e) {
    if (!CONFLICT.has((e as { code?: string }).code ?? '')) throw e;
    await c.query('ROLLBACK TO SAVEPOINT direct');
  }
  return staged(c, rows);
}

/** COPY into staging, then INSERT … ON CONFLICT DO NOTHING. */
async function staged(c: PoolClient, rows: () => Iterable<string | Buffer>): Promise<number> {
  await c.query('SAVEPOINT staged');
  const stage = async (): Promise<void> => {
    // One staging table per pooled connection, emptied at every commit.
    await c.query('CREATE TEMP TABLE IF NOT EXISTS flows_stage (LIKE flows INCLUDING DEFAULTS) ON COMMIT DELETE ROWS');
    await copyChunks(c, `flows_stage (${FLOW_COLUMNS})`, rows());
  };
  await stage();
  for (let attempt = 1; ; attempt++) {
    try {
      // ORDER BY id: concurrent staged writers of overlapping batches take the unique-index locks
      // in the same order, so they wait for each other instead of deadlocking; a direct COPY
      // (any order) can still make this the deadlock victim, hence the bounded retry.
      const r = await c.query(
        `INSERT INTO flows (${FLOW_COLUMNS}) SELECT ${FLOW_COLUMNS} FROM flows_stage ORDER BY id ON CONFLICT (id) DO NOTHING`,
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
 * Stores flows idempotently, in one transaction: COPY straight into flows; if any id is already
 * stored (or being stored by another writer), COPY into a session-local staging table and
 * `INSERT ... ON CONFLICT (id) DO NOTHING` instead (straight away when the first or last id is
 * stored: a redelivery). A redelivered batch (same flow ids) adds nothing. Returns how many rows
 * were new. Input must already satisfy FlowV1.
 */
export function storeFlows(ds: DataSource, flows: readonly FlowV1[]): Promise<number> {
  return storeFlowBatches(ds, [], flows);
}

/**
 * storeFlows for decoded flow batches (libs/contracts flow-batch.v1, validated by its decoder)
 * plus any single flows, in one transaction: rows are encoded from the columns.
 */
export async function storeFlowBatches(ds: DataSource, batches: readonly FlowBatchV1[], flows: readonly FlowV1[] = []): Promise<number> {
  if (flows.length === 0 && batches.every((b) => b.count === 0)) return 0;
  const { flowSets, batchSets } = await resolveSets(ds, flows, batches);
  const probe = flows.length ? [flows[0].id, flows[flows.length - 1].id] : [];
  const full = batches.filter((x) => x.count > 0);
  for (const b of full.length ? [full[0], full[full.length - 1]] : []) {
    probe.push(b.idBytes.toString('latin1', b.idOff[0], b.idOff[1]), b.idBytes.toString('latin1', b.idOff[b.count - 1], b.idOff[b.count]));
  }
  return storeRows(ds, function* () {
    yield* flowRows(flows, flowSets);
    yield* flowBatchRows(batches, batchSets);
  }, probe);
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
