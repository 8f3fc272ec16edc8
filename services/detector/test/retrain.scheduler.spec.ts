import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@netsentry/messaging';
import { getActiveModel, getModel, listModels, migrateDatabase, openDataSource, storeFlows } from '@netsentry/storage';
import { createTestDatabase, itIf, type TestDatabase } from '@netsentry/testing';
import type { DataSource } from 'typeorm';
import { readDetectorConfig } from '../src/config';
import { RetrainScheduler, retrainFromStore, type RetrainSettings } from '../src/retrain.scheduler';
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

// The same window gives the same candidate (deterministic id). A candidate stored by an earlier
// run, refused by a stricter guard or stored with --no-activate, is judged again under the
// settings of this run, not taken as decided (real PostgreSQL, the lab's benign baseline).
describe('retraining a candidate that is stored already', () => {
  let db: TestDatabase | null = null;
  let ds: DataSource | null = null;
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop().catch(() => undefined);
  });

  itIf(existsSync(BASELINE), 'needs data/samples/baseline.pcap')('activates it once it passes the current guard; refuses it again, not "unchanged", when it does not', async () => {
    db = await createTestDatabase({ migrate: migrateDatabase });
    ds = await openDataSource({ url: db.url, poolSize: 2 });
    await storeFlows(ds, await flowsOf(BASELINE, 'lab'));
    const base: RetrainSettings = {
      group: 'default', retrainWindowS: 86400, retrainGuardWindowS: 3600, retrainMaxFlagged: 0, retrainMinFlows: 50,
      retrainMaxRows: 100_000, retrainSensors: [], retrainContamination: 0.1,
    };
    // contamination 0.1 flags about a tenth of the window: a guard of 0 refuses it, one of 0.5 passes it
    const strict = await retrainFromStore(ds, base);
    expect(strict).toMatchObject({ decision: 'refused', version: 1, previous: null });
    const again = await retrainFromStore(ds, base);
    expect(again).toMatchObject({ decision: 'refused', modelId: strict.modelId, version: 1, reason: expect.stringMatching(/stored already as v1, judged again$/) });
    const loose = await retrainFromStore(ds, { ...base, retrainMaxFlagged: 0.5 });
    expect(loose).toMatchObject({ decision: 'activated', modelId: strict.modelId, version: 1, previous: null });
    expect((await getActiveModel(ds, 'default'))?.id).toBe(strict.modelId);
    expect((await getModel(ds, strict.modelId!))?.quality).toMatchObject({ retrain: { decision: 'activated', maxFlaggedFraction: 0.5 } });
    expect(await listModels(ds, 'default')).toHaveLength(1);
    expect(await retrainFromStore(ds, { ...base, retrainMaxFlagged: 0.5 })).toMatchObject({ decision: 'unchanged', modelId: strict.modelId });

    // Stored with --no-activate, activated by the next run that may activate.
    const edge = { ...base, group: 'edge', retrainMaxFlagged: 0.5 };
    const held = await retrainFromStore(ds, { ...edge, noActivate: true });
    expect(held).toMatchObject({ decision: 'passed', version: 1 });
    expect(await getActiveModel(ds, 'edge')).toBeNull();
    expect(await retrainFromStore(ds, edge)).toMatchObject({ decision: 'activated', modelId: held.modelId, version: 1 });
    expect((await getActiveModel(ds, 'edge'))?.id).toBe(held.modelId);
  }, 60000);
});
