import { decodeFlowBatch, encodeFlowBatches, FlowV1, type FlowBatchV1 } from '@netsentry/contracts';
import { countFlows, findFlows, storeFlowBatches, storeFlows } from './flows.store';
import { createDataSource } from './data-source';
import { featureBlock, featureValues } from './feature-block';
import { flow, migratedDatabase } from './test-fixtures';

describe('storeFlows (COPY into flows; on a conflict COPY into staging, INSERT ... ON CONFLICT DO NOTHING)', () => {
  const db = migratedDatabase();

  it('stores a batch once: the same batch again adds no row', async () => {
    const batch = Array.from({ length: 5000 }, (_, i) => flow(i));
    for (const f of batch.slice(0, 3)) expect(FlowV1.safeParse(f).success).toBe(true);
    expect(await storeFlows(db.ds, batch)).toBe(5000);
    expect(await countFlows(db.ds)).toBe(5000);
    expect(await storeFlows(db.ds, batch)).toBe(0);
    expect(await countFlows(db.ds)).toBe(5000);
  });

  it('adds only the new rows of an overlapping batch and tolerates duplicates inside a batch', async () => {
    const overlap = [...Array.from({ length: 200 }, (_, i) => flow(4900 + i)), flow(5150), flow(5150)];
    expect(await storeFlows(db.ds, overlap)).toBe(101); // 5000..5099 and 5150
    expect(await countFlows(db.ds)).toBe(5101);
    // First and last ids new, a stored one and a duplicate in between: the direct COPY fails, staging stores the new.
    const middle = [flow(5200), flow(5150), flow(5201), flow(5201), flow(5202)];
    expect(await storeFlows(db.ds, middle)).toBe(3);
    await db.ds.query('DELETE FROM flows WHERE id = ANY($1::text[])', [['flow-5200', 'flow-5201', 'flow-5202']]); // later tests count rows
    expect(await countFlows(db.ds)).toBe(5101);
  });

  it('reads flows back exactly (microseconds, bigints, escaped JSON keys, IPv6)', async () => {
    const [got] = await findFlows(db.ds, { host: '2001:db8::1', since: flow(5).start, until: flow(5).start + 0.5 });
    expect(got).toEqual(flow(5));
    expect(FlowV1.safeParse(got).success).toBe(true);
  });

  it('filters by host, sensor and time, newest first', async () => {
    const rows = await findFlows(db.ds, { host: '10.0.0.7' });
    expect(rows.map((r) => r.id)).toEqual(['flow-7']);
    const window = await findFlows(db.ds, { sensor: 'sensor-a', since: flow(100).start, until: flow(110).start, limit: 50 });
    expect(window.map((r) => r.id)).toEqual(['flow-109', 'flow-107', 'flow-105', 'flow-103', 'flow-101']);
  });

  it('two writers storing overlapping batches at once neither deadlock nor duplicate', async () => {
    const two = await createDataSource({ url: db.database.url, poolSize: 2 }).initialize();
    try {
      const batch = Array.from({ length: 3000 }, (_, i) => flow(20000 + i));
      const reversed = [...batch].reverse();
      const [a, b] = await Promise.all([storeFlows(two, batch), storeFlows(two, reversed)]);
      expect(a + b).toBe(3000);
      expect((await findFlows(two, { since: flow(20000).start, limit: 10000 })).length).toBe(3000);
      // Same order: the second direct COPY waits on the first's rows, then falls back to staging.
      const same = Array.from({ length: 3000 }, (_, i) => flow(30000 + i));
      const [c, d] = await Promise.all([storeFlows(two, same), storeFlows(two, same)]);
      expect([c, d].sort()).toEqual([0, 3000]);
      expect(await countFlows(two)).toBe(5101 + 3000 + 3000);
      await two.query('DELETE FROM flows WHERE id = ANY($1::text[])', [same.map((f) => f.id)]); // later tests count rows
    } finally {
      await two.destroy();
    }
  });

  it('stores decoded flow batches from their columns: the same rows as storeFlows, idempotently, with single flows in the same transaction', async () => {
    const sensorA = Array.from({ length: 2600 }, (_, i) => flow(40001 + 2 * i));
    // Ids with a backslash, negative, fractional, -0 and beyond-2^31 feature values, odd names.
    const sensorB = Array.from({ length: 300 }, (_, i) =>
      flow(50000 + 2 * i, {
        id: `back\\slash-${i}`, features: { 'a\\b\tc': -i, neg: -0.25 * i, z: -0, big: 2 ** 40 + i, tiny: 5e-324 * i },
        // bigint columns beyond 2^32 (binary COPY writes both 32-bit halves), vlans up to 4095
        fwdBytes: Number.MAX_SAFE_INTEGER - i, bwdPackets: 2 ** 32 + i, vlan: 4095 - i, vlanInner: i % 4096,
      }));
    const batches: FlowBatchV1[] = [sensorA, sensorB].flatMap((fs) =>
      encodeFlowBatches(fs, 1000).batches.map((b) => {
        const d = decodeFlowBatch(b);
        if (!d.ok) throw new Error(d.reason);
        return d.batch;
      }));
    expect(batches.length).toBe(4);
    const single = [flow(60001)];
    expect(await storeFlowBatches(db.ds, batches, single)).toBe(2901);
    expect(await storeFlowBatches(db.ds, batches, single)).toBe(0);
    const back = await findFlows(db.ds, { since: flow(40001).start, limit: 10000 });
    const byId = new Map(back.map((f) => [f.id, f]));
    // As JSON has it (a -0 feature comes back 0 from either path).
    for (const f of [...sensorA, ...sensorB, ...single]) expect(byId.get(f.id)).toEqual(JSON.parse(JSON.stringify(f)));
    expect(byId.size).toBe(2901);
    for (const f of back.slice(0, 50)) expect(FlowV1.safeParse(f).success).toBe(true);
    // The batches carried their features packed, and those bytes are stored as they came: the
    // same block storeFlows packs from the values (-0 included).
    expect(batches.every((b) => b.packed)).toBe(true);
    const written = new Map([...sensorA, ...sensorB].map((f) => [f.id, f]));
    const raw: { id: string; features: Buffer }[] = await db.ds.query('SELECT id, features FROM flows WHERE start_ts >= $1', [flow(40001).start]);
    expect(raw.filter((r) => written.has(r.id) && !r.features.equals(featureBlock(Object.values(written.get(r.id)!.features)))).map((r) => r.id)).toEqual([]);
    await db.ds.query('DELETE FROM flows WHERE start_ts >= $1', [flow(40001).start]); // the next test counts rows
  });

  it('stores each list of feature names once (feature_sets) and reads values back by name', async () => {
    const before = Number((await db.ds.query('SELECT count(*) AS n FROM feature_sets'))[0].n);
    const a = flow(70001); // the fixture's names
    const b = flow(70003, { features: { iat_mean: 1.5, duration: -2, 'bytes\\per\tpkt "q"': 7 } }); // same names, other order
    const c = flow(70005, { features: {} });
    expect(await storeFlows(db.ds, [a, b, c, flow(70007)])).toBe(4);
    const rows: { id: string; feature_set: number; features: Buffer }[] = await db.ds.query(
      'SELECT id, feature_set, features FROM flows WHERE id = ANY($1::text[]) ORDER BY id', [['flow-70001', 'flow-70003', 'flow-70005', 'flow-70007']]);
    // The values only, packed, in the order of the row's feature set.
    expect(rows.map((r) => Array.from(featureValues(r.features) ?? [Number.NaN]))).toEqual([Object.values(a.features), [1.5, -2, 7], [], Object.values(flow(70007).features)]);
    expect(rows[3].feature_set).toBe(rows[0].feature_set);
    expect(new Set(rows.map((r) => r.feature_set)).size).toBe(3);
    // The fixture's list was registered by an earlier test: only the other order and the empty list are new.
    expect(Number((await db.ds.query('SELECT count(*) AS n FROM feature_sets'))[0].n)).toBe(before + 2);
    const back = new Map((await findFlows(db.ds, { since: a.start, until: flow(70007).end, limit: 100 })).map((f) => [f.id, f]));
    for (const f of [a, b, c]) expect(back.get(f.id)).toEqual(f);
    // A non-finite feature is refused: no row is written.
    await expect(storeFlows(db.ds, [flow(70009, { features: { x: Number.POSITIVE_INFINITY } })])).rejects.toThrow(/non-finite/);
    await db.ds.query('DELETE FROM flows WHERE id = ANY($1::text[])', [['flow-70001', 'flow-70003', 'flow-70005', 'flow-70007']]); // the next test counts rows
  });

  it('concurrent batch writers on four connections, two rounds, reusing the pooled COPY buffers: every row stored as written', async () => {
    const four = await createDataSource({ url: db.database.url, poolSize: 4 }).initialize();
    const toBatches = (fs: FlowV1[]): FlowBatchV1[] =>
      encodeFlowBatches(fs, 1000).batches.map((b) => {
        const d = decodeFlowBatch(b);
        if (!d.ok) throw new Error(d.reason);
        return d.batch;
      });
    try {
      // 8 000 rows of ~200 bytes per call: two 1 MiB chunks each, from buffers earlier calls gave back.
      const written: FlowV1[] = [];
      for (let round = 0; round < 2; round++) {
        const calls = Array.from({ length: 4 }, (_, w) =>
          Array.from({ length: 8000 }, (_, i) => flow(100000 + 2 * (round * 40000 + w * 10000 + i) + 1, { features: { a: w + i / 8, b: round - i, c: i * 1e-3 } })));
        for (const c of calls) written.push(...c);
        expect(await Promise.all(calls.map((c) => storeFlowBatches(four, toBatches(c))))).toEqual([8000, 8000, 8000, 8000]);
      }
      const rows: { id: string; fwd_packets: string; features: Buffer }[] = await four.query(
        'SELECT id, fwd_packets, features FROM flows WHERE start_ts >= $1', [flow(100000).start]);
      expect(rows.length).toBe(written.length);
      const byId = new Map(rows.map((r) => [r.id, r]));
      const wrong = written.filter((f) => {
        const r = byId.get(f.id);
        const v = Object.values(f.features);
        const got = r && featureValues(r.features);
        return !got || Number(r.fwd_packets) !== f.fwdPackets || got.length !== 3 || [0, 1, 2].some((k) => got[k] !== v[k]);
      });
      expect(wrong.map((f) => f.id)).toEqual([]);
      await four.query('DELETE FROM flows WHERE start_ts >= $1', [flow(100000).start]); // the next test counts rows
    } finally {
      await four.destroy();
    }
  });

  it('rolls back the whole batch when a row is bad, leaving no partial write', async () => {
    // One connection, so the write after the failure provably reuses the connection that failed.
    const one = await createDataSource({ url: db.database.url, poolSize: 1 }).initialize();
    try {
      // The bad row comes after a full COPY chunk, so the failure hits a COPY already streaming.
      const bad = [...Array.from({ length: 2500 }, (_, i) => flow(10000 + i)), flow(9001, { start: Number.NaN })];
      await expect(storeFlows(one, bad)).rejects.toThrow(/non-finite/);
      expect(await countFlows(one)).toBe(8101);
      expect(await storeFlows(one, [flow(9000)])).toBe(1);
      expect(await storeFlows(one, Array.from({ length: 2500 }, (_, i) => flow(10000 + i)))).toBe(2500);
    } finally {
      await one.destroy();
    }
  });
});
