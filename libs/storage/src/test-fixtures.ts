// Record builders for this library's specs (not exported from index.ts).
import type { AlertV1, AnomalyV1, FlowV1, StatsV1 } from '@netsentry/contracts';
import { createTestDatabase, type TestDatabase } from '@netsentry/testing';
import type { DataSource } from 'typeorm';
import { createDataSource, migrateDatabase } from './data-source';

/**
 * A fresh migrated database for the enclosing describe block: created in beforeAll, dropped in
 * afterAll. Read `ds` and `database` inside hooks and tests only (they exist once beforeAll ran).
 */
export function migratedDatabase(poolSize = 2): { readonly ds: DataSource; readonly database: TestDatabase } {
  let database: TestDatabase | undefined;
  let ds: DataSource | undefined;
  beforeAll(async () => {
    database = await createTestDatabase({ migrate: migrateDatabase });
    ds = await createDataSource({ url: database.url, poolSize }).initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await database?.drop();
  });
  const ready = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('migratedDatabase: used outside a hook or test (before beforeAll ran)');
    return v;
  };
  return {
    get ds() { return ready(ds); },
    get database() { return ready(database); },
  };
}

/** A valid flow; `i` makes it unique and varies every column. */
export function flow(i: number, over: Partial<FlowV1> = {}): FlowV1 {
  return {
    id: `flow-${i}`,
    sensor: i % 2 ? 'sensor-a' : 'sensor-b',
    proto: i % 3 === 0 ? 17 : 6,
    srcIp: `10.0.${(i >> 8) & 255}.${i & 255}`,
    srcPort: 1024 + (i % 60000),
    dstIp: i % 5 === 0 ? '2001:db8::1' : '192.168.1.10',
    dstPort: i % 3 === 0 ? 53 : 443,
    vlan: i % 7,
    vlanInner: 0,
    // Microsecond precision must survive storage exactly.
    start: 1700000000.123456 + i * 0.000001 + i,
    end: 1700000000.123456 + i * 0.000001 + i + 2.5,
    endReason: 'idle',
    state: 'established',
    service: i % 3 === 0 ? 'dns' : 'https',
    fwdPackets: 10 + i,
    bwdPackets: 8,
    fwdBytes: 1500 * (10 + i),
    bwdBytes: 9000,
    features: { duration: 2.5, 'bytes\\per\tpkt "q"': 1234.5 + i, iat_mean: 0.001 * i },
    ...over,
  };
}

export function alert(over: Partial<AlertV1> = {}): AlertV1 {
  return {
    id: 'alert-1',
    type: 'port_scan',
    severity: 'medium',
    sources: ['10.0.0.5'],
    targets: ['192.168.1.10'],
    start: 1700000000.000001,
    end: 1700000010.5,
    summary: '10.0.0.5 probed 25 ports on 192.168.1.10 in 60 s.',
    evidence: [{ metric: 'distinct_dst_ports', value: 25, threshold: 20, op: '>=', windowSeconds: 60 }],
    rule: 'port_scan@1',
    sensor: 'sensor-a',
    ...over,
  };
}

export function anomaly(i: number, over: Partial<AnomalyV1> = {}): AnomalyV1 {
  return {
    id: `flow-${i}:model-1`,
    flowId: `flow-${i}`,
    sensor: 'sensor-a',
    proto: 6,
    srcIp: '10.0.0.5',
    srcPort: 40000 + i,
    dstIp: '192.168.1.10',
    dstPort: 22,
    start: 1700000000 + i,
    end: 1700000001 + i,
    score: 0.5 + (i % 50) / 100,
    severity: i % 2 ? 'high' : 'low',
    model: { id: 'model-1', version: 1 },
    topFeatures: [{ name: 'duration', value: 100, baseline: 2, contribution: 0.6 }],
    ...over,
  };
}

export function destStats(start: number, ip: string, packets: number, instance = 'agg-1'): StatsV1 {
  const empty = { packets: 0, bytes: 0 };
  return {
    sensor: 'sensor-a',
    instance,
    start,
    intervalS: 10,
    entity: {
      kind: 'destination',
      ip,
      packets,
      bytes: packets * 60,
      protocols: { tcp: { packets, bytes: packets * 60 }, udp: empty, icmp: empty, icmpv6: empty, arp: empty, other: empty },
      syns: packets,
      handshakes: 0,
      synPorts: { n: 1, exact: true, k: 256, items: [80], overflow: 0 },
      udpPorts: { n: 0, exact: true, k: 256, items: [], overflow: 0 },
      sources: { n: 2, exact: true, k: 256, items: ['10.0.0.5', '10.0.0.6'], overflow: 0 },
    },
  };
}
