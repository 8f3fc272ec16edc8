import { activateModel, getActiveModel, getModel, listModels, saveModel, type NewModel } from './models.store';
import { migratedDatabase } from './test-fixtures';

const model = (group: string, seed: number): NewModel => ({
  sensorGroup: group,
  params: { trees: 100, maxSamples: 256, seed },
  featureStats: { duration: { p50: 1.5 } },
  quality: { flaggedFraction: 0.01 },
  blob: Buffer.from([0, 1, 2, 255, seed & 255]),
  trainStart: 1700000000,
  trainEnd: 1700086400,
});

describe('model registry', () => {
  const db = migratedDatabase(12);

  const activeIds = async (group: string) =>
    ((await db.ds.query('SELECT id FROM models WHERE sensor_group = $1 AND active', [group])) as { id: string }[]).map((r) => r.id);

  it('numbers versions per sensor group and round-trips the blob', async () => {
    const saved = await Promise.all([1, 2, 3].map((s) => saveModel(db.ds, model('edge', s))));
    expect(saved.map((m) => m.version).sort()).toEqual([1, 2, 3]);
    expect((await saveModel(db.ds, model('core', 9))).version).toBe(1);
    const back = await getModel(db.ds, saved[0].id);
    expect(back?.blob.equals(Buffer.from([0, 1, 2, 255, 1]))).toBe(true);
    expect(back?.active).toBe(false);
    expect((await listModels(db.ds, 'edge')).map((m) => m.version)).toEqual([3, 2, 1]);
  });

  it('activates one model per group and reports the previous one', async () => {
    const [v1, v2] = (await listModels(db.ds, 'edge')).reverse();
    const a = await activateModel(db.ds, v1.id);
    expect(a.ok && a.previous).toBeNull();
    const b = await activateModel(db.ds, v2.id);
    expect(b.ok && b.previous).toBe(v1.id);
    expect((await getActiveModel(db.ds, 'edge'))?.id).toBe(v2.id);
    expect(await getActiveModel(db.ds, 'nobody')).toBeNull();
    expect(await activateModel(db.ds, 'no-such-model')).toEqual({ ok: false, code: 'MODEL.NOT_FOUND' });
  });

  it('is atomic under concurrent activations: never zero, never two active models', async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => saveModel(db.ds, model('race', 100 + i)).then((m) => m.id)));
    await activateModel(db.ds, ids[0]);
    let stop = false;
    const seen: number[] = [];
    const watcher = (async () => {
      while (!stop) seen.push((await activeIds('race')).length);
    })();
    // 8 activations at once, three rounds; each must succeed.
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(ids.map((id) => activateModel(db.ds, id)));
      expect(results.every((r) => r.ok)).toBe(true);
    }
    stop = true;
    await watcher;
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set([1]));
    expect(await activeIds('race')).toHaveLength(1);
  });

  it('the database itself refuses a second active model in a group', async () => {
    const [m] = await listModels(db.ds, 'core');
    await db.ds.query('UPDATE models SET active = true WHERE id = $1', [m.id]);
    const other = await saveModel(db.ds, model('core', 10));
    await expect(db.ds.query('UPDATE models SET active = true WHERE id = $1', [other.id])).rejects.toThrow(/models_one_active_per_group/);
  });
});
