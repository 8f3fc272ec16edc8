import type { FlowV1 } from '@netsentry/contracts';
import type { DataSource } from 'typeorm';
import { copyInto, copyNumber, copyText, withPgTransaction } from './copy';
import { FlowEntity } from './entities';

const FLOW_COLUMNS =
  'id, sensor, proto, src_ip, src_port, dst_ip, dst_port, vlan, vlan_inner, start_ts, end_ts, ' +
  'end_reason, state, service, fwd_packets, bwd_packets, fwd_bytes, bwd_bytes, features';

function encodeFlow(f: FlowV1): string {
  return (
    copyText(f.id) + '\t' + copyText(f.sensor) + '\t' + f.proto + '\t' + f.srcIp + '\t' + f.srcPort + '\t' +
    f.dstIp + '\t' + f.dstPort + '\t' + f.vlan + '\t' + f.vlanInner + '\t' + copyNumber(f.start) + '\t' +
    copyNumber(f.end) + '\t' + f.endReason + '\t' + f.state + '\t' + copyText(f.service) + '\t' +
    f.fwdPackets + '\t' + f.bwdPackets + '\t' + f.fwdBytes + '\t' + f.bwdBytes + '\t' +
    copyText(JSON.stringify(f.features))
  );
}

/**
 * Stores flows idempotently: COPY into a session-local staging table, then
 * `INSERT ... ON CONFLICT (id) DO NOTHING`, in one transaction. A redelivered batch (same flow
 * ids) adds nothing. Returns how many rows were new. Input must already satisfy FlowV1.
 */
export async function storeFlows(ds: DataSource, flows: readonly FlowV1[]): Promise<number> {
  if (flows.length === 0) return 0;
  return withPgTransaction(ds, async (c) => {
    // One staging table per pooled connection, emptied at every commit.
    await c.query('CREATE TEMP TABLE IF NOT EXISTS flows_stage (LIKE flows INCLUDING DEFAULTS) ON COMMIT DELETE ROWS');
    await copyInto(c, `flows_stage (${FLOW_COLUMNS})`, flows, encodeFlow);
    // ORDER BY id: concurrent writers of overlapping batches take the unique-index locks in the
    // same order, so they wait for each other instead of deadlocking.
    const r = await c.query(
      `INSERT INTO flows (${FLOW_COLUMNS}) SELECT ${FLOW_COLUMNS} FROM flows_stage ORDER BY id ON CONFLICT (id) DO NOTHING`,
    );
    return r.rowCount ?? 0;
  });
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

function toFlow(e: FlowEntity): FlowV1 {
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
    features: e.features,
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
  return (await qb.getMany()).map(toFlow);
}

/** Number of stored flows (optionally of one sensor). */
export async function countFlows(ds: DataSource, sensor?: string): Promise<number> {
  const r: { n: string }[] = sensor
    ? await ds.query('SELECT count(*) AS n FROM flows WHERE sensor = $1', [sensor])
    : await ds.query('SELECT count(*) AS n FROM flows');
  return Number(r[0].n);
}
