import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@netsentry/messaging';
import { getActiveModel, listModels, migrateDatabase, openDataSource, storeFlows } from '@netsentry/storage';
import { createTestDatabase, itIf, type TestDatabase } from '@netsentry/testing';
import type { DataSource } from 'typeorm';
import { readDetectorConfig } from '../src/config';
import { RetrainScheduler } from '../src/retrain.scheduler';
import { flowsOf } from './fixtures';

const BASELINE = join(REPO_ROOT, 'data/samples/baseline.pcap');

// Two detectors of one group retraining at the same moment (real PostgreSQL): one trains and
// activates, the other stands aside; the group gets one new model, not one per instance.
describe('retraining with several detectors of a group', () => {
  let db: TestDatabase | null = null;
  const sources: DataSource[] = [];
  afterAll(async () => {
    for (const ds of sources) await ds.destroy();
    await db?.drop().catch(() => undefined);
  });

  itIf(existsSync(BASELINE), 'needs data/samples/baseline.pcap')('stores and activates one model per run, whichever instance wins', async () => {
    db = await createTestDatabase({ migrate: migrateDatabase });
    const cfg = readDetectorConfig({ DATABASE_URL: db.url, DETECTOR_RETRAIN_EVERY_MS: '3600000', DETECTOR_RETRAIN_MIN_FLOWS: '50' });
    if (!cfg.ok) throw new Error(cfg.message);
    const a = await openDataSource({ url: db.url, poolSize: 2 });
    const b = await openDataSource({ url: db.url, poolSize: 2 });
    sources.push(a, b);
    await storeFlows(a, await flowsOf(BASELINE, 'lab'));
    const [ra, rb] = await Promise.all([new RetrainScheduler(cfg.config).runOnce(a), new RetrainScheduler(cfg.config).runOnce(b)]);
    const decisions = [ra.decision, rb.decision].sort();
    expect(decisions).toEqual(['activated', 'skipped']);
    const models = await listModels(a, 'default');
    expect(models).toHaveLength(1);
    expect((await getActiveModel(a, 'default'))?.id).toBe((ra.decision === 'activated' ? ra : rb).modelId);
    // A later run within the interval stands aside too.
    expect((await new RetrainScheduler(cfg.config).runOnce(b)).decision).toBe('skipped');
    expect(await listModels(a, 'default')).toHaveLength(1);
  }, 60000);
});
