/**
 * Storage benchmark against the real PostgreSQL (DATABASE_URL server, a throw-away
 * netsentry_test_* database): flows/s through storeFlows (COPY straight into flows; a batch with
 * an id already stored, or a conflicting COPY, goes through staging + INSERT ... ON CONFLICT DO
 * NOTHING), the same batches redelivered (all conflicts), the same flows as decoded flow batches
 * through storeFlowBatches (binary COPY, the detector's path), statistics via storeStats,
 * alerts via upsertAlerts. Prints a markdown table. BENCH_STORAGE_FLOWS (default 200 000),
 * BENCH_STORAGE_BATCH (default 5000).
 */
import { loadavg } from 'node:os';
import { decodeFlowBatch, encodeFlowBatches, type AlertV1, type FlowBatchV1, type FlowV1, type StatsV1 } from '@netsentry/contracts';
import { createDataSource, migrateDatabase, storeFlowBatches, storeFlows, storeStats, upsertAlerts } from '@netsentry/storage';
import { createTestDatabase } from '@netsentry/testing';

const N = Number(process.env.BENCH_STORAGE_FLOWS ?? 200_000);
const BATCH = Number(process.env.BENCH_STORAGE_BATCH ?? 5000);

// 20 numeric features (a feature set of their own in the feature_sets table; the detector
// bench in pipeline.bench.ts stores the real 88).
const FEATURES = Array.from({ length: 20 }, (_, k) => `f${k}`);
function flow(i: number): FlowV1 {
  const features: Record<string, number> = {};
  for (let k = 0; k < FEATURES.length; k++) features[FEATURES[k]] = (i * 31 + k * 7) % 1000 / 7;
  return {
    id: `bench-${i}`, sensor: 'bench', proto: 6, srcIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    srcPort: 1024 + (i % 60000), dstIp: '192.168.1.10', dstPort: 443, vlan: 0, vlanInner: 0,
    start: 1700000000 + i / 1000, end: 1700000001 + i / 1000, endReason: 'fin', state: 'established', service: 'https',
    fwdPackets: 10, bwdPackets: 8, fwdBytes: 1500, bwdBytes: 9000, features,
  };
}
function stats(i: number): StatsV1 {
  const pb = { packets: i, bytes: i * 60 };
  const set = { n: 1, exact: true, k: 256, items: ['10.0.0.1'], overflow: 0 };
  const ports = { n: 1, exact: true, k: 256, items: [80], overflow: 0 };
  return {
    sensor: 'bench', instance: 'agg-1', start: 1700000000 + 10 * Math.floor(i / 100), intervalS: 10,
    entity: { kind: 'destination', ip: `10.1.${(i % 100) >> 8}.${i % 100}`, packets: i, bytes: i * 60,
      protocols: { tcp: pb, udp: pb, icmp: pb, icmpv6: pb, arp: pb, other: pb }, syns: i, handshakes: 0,
      synPorts: ports, udpPorts: ports, sources: set },
  };
}
function alert(i: number): AlertV1 {
  return {
    id: `bench-alert-${i}`, type: 'port_scan', severity: 'medium', sources: ['10.0.0.5'], targets: [`192.168.${i >> 8 & 255}.${i & 255}`],
    start: 1700000000, end: 1700000000 + i, summary: 'bench alert', sensor: 'bench',
    evidence: [{ metric: 'distinct_dst_ports', value: 25, threshold: 20, op: '>=', windowSeconds: 60 }],
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function main(): Promise<void> {
  const db = await createTestDatabase({ migrate: migrateDatabase });
  const ds = await createDataSource({ url: db.url, poolSize: 2 }).initialize();
  const rows: string[] = [];
  const row = (what: string, n: number, s: number) => rows.push(`| ${what} | ${n.toLocaleString('en')} | ${s.toFixed(2)} | ${Math.round(n / s).toLocaleString('en')} |`);
  try {
    const batches: FlowV1[][] = [];
    for (let i = 0; i < N; i += BATCH) batches.push(Array.from({ length: Math.min(BATCH, N - i) }, (_, j) => flow(i + j)));
    let inserted = 0;
    row(`storeFlows, ${BATCH}-row batches (new rows)`, N, await timed(async () => { for (const b of batches) inserted += await storeFlows(ds, b); }));
    if (inserted !== N) throw new Error(`expected ${N} new flows, got ${inserted}`);
    let again = 0;
    row('storeFlows, same batches redelivered (no new rows)', N, await timed(async () => { for (const b of batches) again += await storeFlows(ds, b); }));
    if (again !== 0) throw new Error(`redelivery inserted ${again} rows`);
    // Two writers at once (two pooled connections: PostgreSQL uses one core per connection).
    await ds.query('TRUNCATE flows');
    const perWriter = [0, 0];
    row(`storeFlows, 2 concurrent writers, ${BATCH}-row batches`, N, await timed(async () => {
      await Promise.all([0, 1].map(async (w) => {
        for (let i = w; i < batches.length; i += 2) { const n = await storeFlows(ds, batches[i]); perWriter[w] += n; }
      }));
    }));
    const both = perWriter[0] + perWriter[1];
    if (both !== N) throw new Error(`expected ${N} new flows from 2 writers, got ${both}`);

    // The detector's path: the same flows as decoded flow batches (512 each), binary COPY from the columns.
    await ds.query('TRUNCATE flows');
    const fb: FlowBatchV1[] = [];
    for (const b of encodeFlowBatches(batches.flat(), 512).batches) {
      const d = decodeFlowBatch(b);
      if (!d.ok) throw new Error(d.reason);
      fb.push(d.batch);
    }
    const per = Math.max(1, Math.round(BATCH / 512));
    let fromBatches = 0;
    row(`storeFlowBatches, ${per} × 512-flow batches per call (binary COPY)`, N, await timed(async () => {
      for (let i = 0; i < fb.length; i += per) fromBatches += await storeFlowBatches(ds, fb.slice(i, i + per));
    }));
    if (fromBatches !== N) throw new Error(`expected ${N} new flows from batches, got ${fromBatches}`);

    const S = 50_000;
    const st = Array.from({ length: S }, (_, i) => stats(i));
    row('storeStats, 5000-row batches', S, await timed(async () => { for (let i = 0; i < S; i += 5000) await storeStats(ds, st.slice(i, i + 5000)); }));

    const A = 5000;
    const al = Array.from({ length: A }, (_, i) => alert(i));
    row('upsertAlerts, 500-row batches (insert)', A, await timed(async () => { for (let i = 0; i < A; i += 500) await upsertAlerts(ds, al.slice(i, i + 500)); }));
    const al2 = al.map((a) => ({ ...a, end: a.end + 10, severity: 'high' as const }));
    row('upsertAlerts, 500-row batches (update)', A, await timed(async () => { for (let i = 0; i < A; i += 500) await upsertAlerts(ds, al2.slice(i, i + 500)); }));
  } finally {
    await ds.destroy();
    await db.drop();
  }
  console.log(`Load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')} (figures drop when the machine is busy).\n`);
  console.log('| Operation | Rows | Seconds | Rows/s |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows) console.log(r);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
