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

  it('stores every field exactly, whatever the text holds (array parameters: quotes, backslashes, braces, commas, NULL-like words)', async () => {
    const odd = ['a"b', 'back\\slash', '{braces}', 'comma,sep', 'NULL', ' spaced ', 'ünï \u00e9'];
    const batch = odd.map((t, i) =>
      anomaly(500 + i, {
        id: `${t}:model-2`, flowId: t, sensor: `s-${i}`, proto: 17, srcIp: i % 2 ? '2001:db8::5' : '10.9.8.7', dstIp: 'fe80::1:0:0:1', srcPort: 0, dstPort: 65535,
        start: 1700000500.123456 + i, end: 1700000600.654321 + i, score: 0.1 + i / 7, severity: 'critical', model: { id: 'model-2', version: 7 },
        topFeatures: [{ name: t, value: -1.5e-300 * (i + 1), baseline: 2 ** 53 - 1, contribution: 1 / 3 }, { name: `${t}[]`, value: 0, baseline: 0, contribution: 0 }],
      }));
    // one already stored among new ones: only the new count
    expect(await storeAnomalies(db.ds, [anomaly(3), ...batch])).toBe(odd.length);
    const back = await findAnomalies(db.ds, { since: 1700000500, until: 1700000700, limit: 100 });
    expect(new Map(back.map((a) => [a.id, a]))).toEqual(new Map(batch.map((a) => [a.id, a])));
  });
});
