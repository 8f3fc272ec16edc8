import { SensorHeartbeatV1 } from '@netsentry/contracts';
import { findAnomalies, storeAnomalies } from './anomalies.store';
import { listSensors, recordHeartbeat } from './sensors.store';
import { anomaly, migratedDatabase } from './test-fixtures';

const hb = (sensor: string, sentAt: number, status: SensorHeartbeatV1['status']): SensorHeartbeatV1 => ({
  sensor,
  sentAt,
  status,
  source: 'eth0',
  counters: { packetsSeen: sentAt, kernelDropped: 0, malformed: 0, published: 0, publishErrors: 0, bufferDropped: 0 },
});

describe('sensors and anomalies', () => {
  const db = migratedDatabase();

  it('keeps the latest heartbeat per sensor and ignores older ones', async () => {
    expect(await recordHeartbeat(db.ds, hb('s1', 100, 'starting'))).toBe(true);
    expect(await recordHeartbeat(db.ds, hb('s1', 110, 'capturing'))).toBe(true);
    expect(await recordHeartbeat(db.ds, hb('s1', 105, 'degraded'))).toBe(false);
    expect(await recordHeartbeat(db.ds, hb('s0', 50, 'replaying'))).toBe(true);
    const list = await listSensors(db.ds);
    expect(list.map((s) => s.heartbeat)).toEqual([hb('s0', 50, 'replaying'), hb('s1', 110, 'capturing')]);
  });

  it('stores anomalies once and filters them', async () => {
    const batch = Array.from({ length: 50 }, (_, i) => anomaly(i));
    expect(await storeAnomalies(db.ds, batch)).toBe(50);
    expect(await storeAnomalies(db.ds, batch)).toBe(0);
    const high = await findAnomalies(db.ds, { minSeverity: 'high', since: 1700000010, until: 1700000020 });
    expect(high.map((a) => a.id)).toEqual([19, 17, 15, 13, 11].map((i) => anomaly(i).id));
    expect(high[0]).toEqual(anomaly(19));
    expect((await findAnomalies(db.ds, { minScore: 0.98 })).map((a) => a.score)).toEqual([0.99, 0.98]);
  });
});
