import type { SensorHeartbeatV1 } from '@netsentry/contracts';
import type { DataSource } from 'typeorm';
import { SensorEntity } from './entities';

/**
 * Keeps the latest heartbeat per sensor: a heartbeat older than the stored one (redelivery,
 * reordering) is ignored. Returns true when the row changed.
 */
export async function recordHeartbeat(ds: DataSource, hb: SensorHeartbeatV1): Promise<boolean> {
  const r: unknown[] = await ds.query(
    `INSERT INTO sensors AS s (sensor, status, sent_at, heartbeat) VALUES ($1, $2, $3, $4)
     ON CONFLICT (sensor) DO UPDATE
       SET status = EXCLUDED.status, sent_at = EXCLUDED.sent_at, heartbeat = EXCLUDED.heartbeat, updated_at = now()
       WHERE EXCLUDED.sent_at > s.sent_at
     RETURNING sensor`,
    [hb.sensor, hb.status, hb.sentAt, JSON.stringify(hb)],
  );
  return r.length === 1;
}

/** A sensor's latest heartbeat and when it was stored. */
export interface SensorStatus {
  heartbeat: SensorHeartbeatV1;
  firstSeen: Date;
  updatedAt: Date;
}

/** Every known sensor, by name. */
export async function listSensors(ds: DataSource): Promise<SensorStatus[]> {
  const rows = await ds.getRepository(SensorEntity).find({ order: { sensor: 'ASC' } });
  return rows.map((r) => ({
    heartbeat: r.heartbeat as unknown as SensorHeartbeatV1,
    firstSeen: r.firstSeen,
    updatedAt: r.updatedAt,
  }));
}
