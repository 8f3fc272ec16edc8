import { FlowV1 } from '@netsentry/contracts';
import type { DataSource } from 'typeorm';
import { featureSetNames, featuresRecord } from './feature-sets';

/** A time window of stored flows to train a model on ("the last 24 h of sensors X, Y"). */
export interface TrainingWindowQuery {
  /** Sensors whose flows are read; all sensors when absent or empty. */
  sensors?: readonly string[];
  /** Length of the window in seconds of packet time, ending at the newest stored flow's end. */
  windowS: number;
  /** Most flows returned: a larger window is thinned by a deterministic hash of the flow id. */
  maxRows: number;
}

export interface TrainingWindow {
  flows: FlowV1[];
  /** Packet-time window read, epoch seconds (start inclusive on flow start; end = newest flow end). */
  start: number;
  end: number;
  /** Flows in the window before thinning. */
  total: number;
  /** Rows that did not satisfy FlowV1 and were left out. */
  invalid: number;
}

interface Row {
  id: string;
  sensor: string;
  proto: number;
  src_ip: string;
  src_port: number;
  dst_ip: string;
  dst_port: number;
  vlan: number;
  vlan_inner: number;
  start_ts: number;
  end_ts: number;
  end_reason: string;
  state: string;
  service: string;
  fwd_packets: string;
  bwd_packets: string;
  fwd_bytes: string;
  bwd_bytes: string;
  feature_set: number;
  /** bytea: little-endian float64s in the order of the feature set. */
  features: Buffer | null;
}

/**
 * Reads a window of stored flows for training. The window is in packet time and ends at the
 * newest stored flow of the sensors, so "the last 24 h" means the last 24 h of traffic seen, for
 * a live sensor and for a replayed capture alike. Every row is checked against FlowV1 (the table
 * is a boundary like any other); rows that fail are counted and left out. Returns no flows when
 * the sensors have none stored.
 */
export async function loadTrainingWindow(ds: DataSource, q: TrainingWindowQuery): Promise<TrainingWindow> {
  const sensors = q.sensors && q.sensors.length > 0 ? [...q.sensors] : null;
  const bySensor = sensors ? 'WHERE sensor = ANY($1::text[])' : '';
  const args: unknown[] = sensors ? [sensors] : [];
  const latest: { end: number | null }[] = await ds.query(`SELECT max(end_ts) AS end FROM flows ${bySensor}`, args);
  const end = latest[0]?.end;
  if (end === null || end === undefined) return { flows: [], start: 0, end: 0, total: 0, invalid: 0 };
  const start = end - q.windowS;
  const p = sensors ? 2 : 1;
  const inWindow = `${sensors ? bySensor + ' AND' : 'WHERE'} start_ts >= $${p}`;
  const counted: { n: string }[] = await ds.query(`SELECT count(*) AS n FROM flows ${inWindow}`, [...args, start]);
  const total = Number(counted[0]?.n ?? 0);
  // Thinning by a hash of the id: deterministic (the same rows give the same model) and uniform.
  const every = Math.max(1, Math.ceil(total / Math.max(1, q.maxRows)));
  const thin = every > 1 ? ` AND (hashtext(id) & 2147483647) % ${every} = 0` : '';
  const rows: Row[] = await ds.query(
    `SELECT id, sensor, proto, host(src_ip) AS src_ip, src_port, host(dst_ip) AS dst_ip, dst_port, vlan, vlan_inner,
            start_ts, end_ts, end_reason, state, service, fwd_packets, bwd_packets, fwd_bytes, bwd_bytes, feature_set, features
       FROM flows ${inWindow}${thin} ORDER BY start_ts, id LIMIT ${Math.max(1, q.maxRows)}`,
    [...args, start],
  );
  // Features come back as values in the order of their feature set's names.
  const sets = await featureSetNames(ds, rows.map((r) => Number(r.feature_set)));
  const flows: FlowV1[] = [];
  let invalid = 0;
  for (const r of rows) {
    const f = FlowV1.safeParse({
      id: r.id,
      sensor: r.sensor,
      proto: r.proto,
      srcIp: r.src_ip,
      srcPort: r.src_port,
      dstIp: r.dst_ip,
      dstPort: r.dst_port,
      vlan: r.vlan,
      vlanInner: r.vlan_inner,
      start: r.start_ts,
      end: r.end_ts,
      endReason: r.end_reason,
      state: r.state,
      service: r.service,
      fwdPackets: Number(r.fwd_packets),
      bwdPackets: Number(r.bwd_packets),
      fwdBytes: Number(r.fwd_bytes),
      bwdBytes: Number(r.bwd_bytes),
      features: featuresRecord(sets.get(Number(r.feature_set)), r.features),
    });
    if (f.success) flows.push(f.data);
    else invalid++;
  }
  return { flows, start, end, total, invalid };
}
