import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { trainModel } from '@netsentry/detection';
import { REPO_ROOT, topicMap, type ServiceProcess } from '@netsentry/messaging';
import { findAnomalies, migrateDatabase, openDataSource } from '@netsentry/storage';
import { createTestDatabase, deleteTopics, haveSharedPcaps, itIf, SHARED_PCAPS, uniqueName, type TestDatabase } from '@netsentry/testing';
import type { DataSource } from 'typeorm';
import { replay, startAggregator, startDetector, waitForGroup, waitSensorEnd, pipelineEnv } from './pipeline.harness';
import { flowsOf, registerActive } from './fixtures';

const BASELINE = join(REPO_ROOT, 'data/samples/baseline.pcap');

// The detector scores with the active model of its sensor group and follows the registry:
// activating another model changes the model behind new anomalies without a restart.
describe('detector model registry', () => {
  const procs: ServiceProcess[] = [];
  let db: TestDatabase | null = null;
  let ds: DataSource | null = null;
  const suffix = '.' + uniqueName('detmodel');
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await ds?.destroy();
    await db?.drop().catch(() => undefined);
    await deleteTopics(Object.values(topicMap(suffix))).catch(() => undefined);
  });

  itIf(haveSharedPcaps && existsSync(BASELINE), 'needs ../shared/data/pcaps and data/samples/baseline.pcap')('picks up a newly activated model without a restart', async () => {
    db = await createTestDatabase({ migrate: migrateDatabase });
    ds = await openDataSource({ url: db.url, poolSize: 2 });
    // Baseline: the lab's benign sample; the suspect traffic is a real masscan port scan.
    const base = await flowsOf(BASELINE, 'baseline');
    expect(base.length).toBeGreaterThan(100);
    const a = trainModel(base, { seed: 1, contamination: 0.05, nEstimators: 50 });
    const b = trainModel(base, { seed: 2, contamination: 0.05, nEstimators: 50 });
    expect(a.id).not.toBe(b.id);
    await registerActive(ds, a);

    const p = pipelineEnv(suffix, db.url, { DETECTOR_MODEL_POLL_MS: '300' });
    const det = await startDetector(p, 'det-model');
    const agg = await startAggregator(p, 'agg-model');
    procs.push(det, agg);
    await det.waitFor(new RegExp(`scoring with model ${a.id}`), 30000);
    await waitForGroup(p.aggGroup, 1, 60000);
    await waitForGroup(p.detGroup, 1, 60000);
    const scan = join(SHARED_PCAPS, 'esnet-curated/masscan_tcp_0_1000_20190821.pcap');

    const s1 = replay(p, 'model-1', scan);
    procs.push(s1);
    expect(await s1.exited).toBe(0);
    await waitSensorEnd([det], 'model-1', 120000);
    const first = await findAnomalies(ds, { sensor: 'model-1', limit: 5000 });
    expect(first.length).toBeGreaterThan(0);
    expect(new Set(first.map((x) => x.model.id))).toEqual(new Set([a.id]));

    await registerActive(ds, b);
    await det.waitFor(new RegExp(`scoring with model ${b.id}`), 30000);
    const s2 = replay(p, 'model-2', scan);
    procs.push(s2);
    expect(await s2.exited).toBe(0);
    await waitSensorEnd([det], 'model-2', 120000);
    const second = await findAnomalies(ds, { sensor: 'model-2', limit: 5000 });
    expect(second.length).toBeGreaterThan(0);
    expect(new Set(second.map((x) => x.model.id))).toEqual(new Set([b.id]));
    // same process all along
    expect(det.proc.exitCode).toBeNull();
  }, 300000);
});
