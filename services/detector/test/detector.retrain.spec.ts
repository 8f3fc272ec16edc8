import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FlowV1 } from '@netsentry/contracts';
import { trainModel } from '@netsentry/detection';
import { REPO_ROOT, topicMap, type ServiceProcess } from '@netsentry/messaging';
import { getActiveModel, listModels, migrateDatabase, openDataSource, storeFlows } from '@netsentry/storage';
import { createTestDatabase, deleteTopics, itIf, uniqueName, type TestDatabase } from '@netsentry/testing';
import type { DataSource } from 'typeorm';
import { startDetector, type PipelineEnv, pipelineEnv } from './pipeline.harness';
import { flowsOf, registerActive } from './fixtures';

const BASELINE = join(REPO_ROOT, 'data/samples/baseline.pcap');
const ATTACKS = join(REPO_ROOT, 'data/samples/attacks.pcap');
const haveSamples = existsSync(BASELINE) && existsSync(ATTACKS);

interface RetrainEvent {
  event: 'retrain';
  decision: string;
  modelId?: string;
  previous?: string | null;
  flows?: number;
  guardFlows?: number;
  flaggedFraction?: number;
  reason: string;
}

const retrainEvent = async (det: ServiceProcess, decision: string, timeoutMs: number): Promise<RetrainEvent> =>
  JSON.parse(await det.waitFor(new RegExp(`^\\{"event":"retrain","decision":"${decision}"`), timeoutMs)) as RetrainEvent;

// Scheduled retraining in the detector process, against the real PostgreSQL and Kafka: stored
// flows of the lab's benign baseline (sensor lab-1) beside the attack sample's flows of another
// sensor, which the retraining must not read (DETECTOR_RETRAIN_SENSORS=lab-1).
describe('detector scheduled retraining', () => {
  const procs: ServiceProcess[] = [];
  const dbs: TestDatabase[] = [];
  const sources: DataSource[] = [];
  const suffixes: string[] = [];
  let baseline: FlowV1[] = [];
  let attacks: FlowV1[] = [];
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    for (const ds of sources) await ds.destroy();
    for (const db of dbs) await db.drop().catch(() => undefined);
    for (const s of suffixes) await deleteTopics(Object.values(topicMap(s))).catch(() => undefined);
  });

  async function setUp(tag: string, extra: Record<string, string>): Promise<{ ds: DataSource; p: PipelineEnv }> {
    if (baseline.length === 0) {
      baseline = await flowsOf(BASELINE, 'lab-1');
      attacks = await flowsOf(ATTACKS, 'lab-2');
    }
    const db = await createTestDatabase({ migrate: migrateDatabase });
    dbs.push(db);
    const ds = await openDataSource({ url: db.url, poolSize: 2 });
    sources.push(ds);
    await storeFlows(ds, baseline);
    await storeFlows(ds, attacks);
    const suffix = '.' + uniqueName(tag);
    suffixes.push(suffix);
    const p = pipelineEnv(suffix, db.url, {
      DETECTOR_MODEL_POLL_MS: '300',
      DETECTOR_RETRAIN_EVERY_MS: '1500',
      DETECTOR_RETRAIN_SENSORS: 'lab-1',
      DETECTOR_RETRAIN_MIN_FLOWS: '50',
      ...extra,
    });
    return { ds, p };
  }

  itIf(haveSamples, 'needs data/samples/baseline.pcap and attacks.pcap')('trains on the last window of stored benign flows and activates the model', async () => {
    const { ds, p } = await setUp('retrain-ok', {});
    expect(await getActiveModel(ds, 'default')).toBeNull();
    const det = await startDetector(p, 'det-retrain-ok');
    procs.push(det);
    const ev = await retrainEvent(det, 'activated', 60000);
    // Only lab-1's flows: the whole 3-minute baseline lies in the default 24 h window.
    expect(ev.flows).toBe(baseline.length);
    expect(ev.guardFlows).toBe(baseline.length);
    expect(ev.flaggedFraction).toBeLessThanOrEqual(0.05);
    expect(ev.previous).toBeNull();
    const active = await getActiveModel(ds, 'default');
    expect(active?.id).toBe(ev.modelId);
    expect(active?.trainEnd).toBe(Math.max(...baseline.map((f) => f.end)));
    expect(active?.params).toMatchObject({ origin: 'retrain', contamination: 0.01 });
    expect(active?.quality).toMatchObject({ retrain: { decision: 'activated', flows: baseline.length, maxFlaggedFraction: 0.05 } });
    // The running detector scores with it without a restart.
    await det.waitFor(new RegExp(`scoring with model ${ev.modelId}`), 30000);
    // The next run finds no new flow: same candidate, nothing stored twice.
    const again = await retrainEvent(det, 'unchanged', 30000);
    expect(again.modelId).toBe(ev.modelId);
    expect((await listModels(ds, 'default')).length).toBe(1);
  }, 180000);

  itIf(haveSamples, 'needs data/samples/baseline.pcap and attacks.pcap')('refuses a candidate the guard rejects, records it and keeps the active model', async () => {
    // contamination 0.1 flags about a tenth of the window; a guard of 0 cannot pass it.
    const { ds, p } = await setUp('retrain-no', { DETECTOR_RETRAIN_CONTAMINATION: '0.1', DETECTOR_RETRAIN_MAX_FLAGGED: '0' });
    const current = trainModel(baseline, { seed: 7, nEstimators: 50, sensorGroup: 'default' });
    await registerActive(ds, current);
    const det = await startDetector(p, 'det-retrain-no');
    procs.push(det);
    await det.waitFor(new RegExp(`scoring with model ${current.id}`), 30000);
    const ev = await retrainEvent(det, 'refused', 60000);
    expect(ev.modelId).not.toBe(current.id);
    expect(ev.flaggedFraction).toBeGreaterThan(0);
    expect(ev.previous).toBe(current.id);
    expect(ev.reason).toMatch(/more than the 0\.00% allowed/);
    // ... and logged as a warning by the detector
    await det.waitFor(new RegExp(`retrain refused model ${ev.modelId}`), 10000);
    // Visible in the registry: stored, inactive, with the verdict; the active model is unchanged.
    const models = await listModels(ds, 'default');
    const refused = models.find((m) => m.id === ev.modelId);
    expect(refused?.active).toBe(false);
    expect(refused?.activatedAt).toBeNull();
    expect(refused?.quality).toMatchObject({ retrain: { decision: 'refused', maxFlaggedFraction: 0 } });
    expect((await getActiveModel(ds, 'default'))?.id).toBe(current.id);
    // Later runs judge the same candidate again under the same settings: refused again, nothing stored twice.
    await det.waitFor(new RegExp(`^\\{"event":"retrain","decision":"refused","group":"default","modelId":"${ev.modelId}".*judged again`), 30000);
    expect((await getActiveModel(ds, 'default'))?.id).toBe(current.id);
    expect((await listModels(ds, 'default')).length).toBe(2);
    expect(det.lines.some((l) => l.includes(`scoring with model ${ev.modelId}`))).toBe(false);
  }, 180000);
});
