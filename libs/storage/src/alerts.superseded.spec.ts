import type { AlertV1 } from '@netsentry/contracts';
import { createTestDatabase, type TestDatabase } from '@netsentry/testing';
import type { DataSource } from 'typeorm';
import { findAlerts, getAlert, upsertAlerts } from './alerts.store';
import { createDataSource, migrateDatabase } from './data-source';

/*
 * AlertV1 `supersededBy` in PostgreSQL: the versions the detector sends when a udp_flood alert is
 * closed as part of the ddos alert that opened on its target (the StopDDoS DNS amplification
 * capture: flood at 4 s, updated at 6 s, superseded in the interval the ddos crossed, same end).
 */
const T0 = 1632239124;
const flood = (end: number, pps: number, over: Partial<AlertV1> = {}): AlertV1 => ({
  id: 'udp_flood-ec659bc0ec2b4bd3b9f1c1a0d3e7a6f2',
  type: 'udp_flood',
  severity: 'high',
  sources: ['192.0.2.1', '192.0.2.2'],
  targets: ['10.10.10.10'],
  start: T0,
  end: T0 + end,
  summary: `10.10.10.10 received ${pps} UDP packets/s over 5 s (baseline 0/s) from 15 sources to 12 ports.`,
  evidence: [{ metric: 'udp_packets_per_second', value: pps, threshold: 100, op: '>=', windowSeconds: 5 }],
  rule: 'udp_flood@3',
  sensor: 'sensor-a',
  ...over,
});
const DDOS_ID = 'ddos-369eb602c6bd83c5e1dbf17664213211';

describe('alerts: supersededBy and includes are stored and kept', () => {
  let db: TestDatabase;
  let ds: DataSource;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: migrateDatabase });
    ds = await createDataSource({ url: db.url, poolSize: 2 }).initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('stores the superseding version (same end), keeps it against redelivered and same-end versions, and reads it back', async () => {
    expect(await upsertAlerts(ds, [flood(4, 120.2)])).toEqual([{ id: flood(4, 0).id, outcome: 'inserted' }]);
    expect(await upsertAlerts(ds, [flood(6, 133.6)])).toEqual([{ id: flood(4, 0).id, outcome: 'updated' }]);
    expect((await getAlert(ds, flood(6, 0).id))!.supersededBy).toBeUndefined();
    // The last version differs from the one before only by supersededBy: it is stored.
    const last = flood(6, 133.6, { supersededBy: DDOS_ID });
    expect(await upsertAlerts(ds, [last])).toEqual([{ id: last.id, outcome: 'updated' }]);
    expect(await getAlert(ds, last.id)).toEqual(last);
    // Redelivered earlier versions change nothing, and no version clears the link.
    expect(await upsertAlerts(ds, [flood(6, 133.6), flood(4, 120.2)])).toEqual([{ id: last.id, outcome: 'unchanged' }]);
    await upsertAlerts(ds, [flood(6, 140)]); // same end, other figures: replaces them, keeps the link
    expect((await getAlert(ds, last.id))!.supersededBy).toBe(DDOS_ID);
    expect((await findAlerts(ds, { types: ['udp_flood'] })).map((a) => a.supersededBy)).toEqual([DDOS_ID]);
  });

  it('in one batch the last version of an id wins, link included; alerts without the field read back without it', async () => {
    const id = 'udp_flood-00000000000000000000000000000002';
    await upsertAlerts(ds, [flood(4, 120, { id }), flood(6, 130, { id }), flood(6, 130, { id, supersededBy: DDOS_ID })]);
    expect((await getAlert(ds, id))!.supersededBy).toBe(DDOS_ID);
    const plain = flood(4, 120, { id: 'udp_flood-00000000000000000000000000000003' });
    await upsertAlerts(ds, [plain]);
    const read = await getAlert(ds, plain.id);
    expect(read).toEqual(plain);
    expect(read !== null && 'supersededBy' in read).toBe(false);
  });

  it('stores includes (the types a ddos alert took in), replaces it with a later version, and reads alerts without it back without it', async () => {
    const ddos = (end: number, includes?: AlertV1['includes']): AlertV1 => ({
      ...flood(end, 480, { id: DDOS_ID, type: 'ddos', severity: 'critical', rule: 'ddos@4', summary: `ddos on 10.10.10.10 (${end})` }),
      ...(includes ? { includes } : {}),
    });
    await upsertAlerts(ds, [ddos(3)]);
    const plain = await getAlert(ds, DDOS_ID);
    expect(plain).toEqual(ddos(3));
    expect(plain !== null && 'includes' in plain).toBe(false);
    // Same end, only includes differs: the later version is stored.
    expect(await upsertAlerts(ds, [ddos(3, ['udp_flood'])])).toEqual([{ id: DDOS_ID, outcome: 'updated' }]);
    expect(await getAlert(ds, DDOS_ID)).toEqual(ddos(3, ['udp_flood']));
    await upsertAlerts(ds, [ddos(5, ['syn_flood', 'udp_flood'])]);
    expect((await findAlerts(ds, { types: ['ddos'] })).map((a) => a.includes)).toEqual([['syn_flood', 'udp_flood']]);
    // Asking for a type finds the alerts that took it in too.
    expect((await findAlerts(ds, { types: ['syn_flood'] })).map((a) => a.id)).toEqual([DDOS_ID]);
    expect((await findAlerts(ds, { types: ['udp_flood'] })).map((a) => a.type).sort()).toEqual(['ddos', 'udp_flood', 'udp_flood', 'udp_flood']);
    expect(await findAlerts(ds, { types: ['icmp_flood'] })).toEqual([]);
    // A redelivered older version changes nothing.
    expect(await upsertAlerts(ds, [ddos(3, ['udp_flood'])])).toEqual([{ id: DDOS_ID, outcome: 'unchanged' }]);
  });
});
