import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { trainModel, type Model } from '@netsentry/detection';
import { REPO_ROOT } from '@netsentry/messaging';
import { activateModel, migrateDatabase, openDataSource, saveModel } from '@netsentry/storage';
import { createTestDatabase, itIf, type TestDatabase } from '@netsentry/testing';
import type { DataSource } from 'typeorm';
import { ModelWatcher } from '../src/model.watcher';
import { modelRecord } from '../src/model.record';
import { flowsOf, registerActive } from './fixtures';

const BASELINE = join(REPO_ROOT, 'data/samples/baseline.pcap');

/** Stores `blob` under `id` in the group and activates it, as a broken or hostile registry row. */
async function activateBlob(ds: DataSource, m: Model, id: string, blob: string): Promise<void> {
  await saveModel(ds, { ...modelRecord(m), id, blob: Buffer.from(blob) });
  const r = await activateModel(ds, id);
  if (!r.ok) throw new Error(r.code);
}

/** The model JSON with `edit` applied and, when `rehash`, the id recomputed over the new content. */
function edited(m: Model, edit: (j: ReturnType<Model['toJSON']>) => void, rehash: boolean): { id: string; blob: string } {
  const j = JSON.parse(JSON.stringify(m.toJSON())) as ReturnType<Model['toJSON']>;
  edit(j);
  if (rehash) {
    const { id: _id, version: _v, ...body } = j;
    j.id = 'if-' + createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
  }
  return { id: j.id, blob: JSON.stringify(j) };
}

// The detector's ModelWatcher against the real registry (PostgreSQL): whatever the active row
// holds, a model that cannot be loaded is refused once, logged with its id, and the scorer of
// the previous model is kept.
describe('ModelWatcher with bad registry rows', () => {
  let db: TestDatabase | null = null;
  let ds: DataSource | null = null;
  const errors: string[] = [];
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation((msg: unknown) => void errors.push(String(msg)));
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await ds?.destroy();
    await db?.drop().catch(() => undefined);
  });

  itIf(existsSync(BASELINE), 'needs data/samples/baseline.pcap')('refuses each bad active model once, by id, and keeps scoring with the good one', async () => {
    db = await createTestDatabase({ migrate: migrateDatabase });
    ds = await openDataSource({ url: db.url, poolSize: 2 });
    const good = trainModel(await flowsOf(BASELINE, 'lab'), { seed: 5, nEstimators: 20, sensorGroup: 'default' });
    await registerActive(ds, good);
    const w = new ModelWatcher('default');
    await w.check(ds);
    expect(w.scorer?.model.id).toBe(good.id);

    const cases: [string, string, RegExp][] = [
      ['corrupt-1', '{"format": not json', /^model corrupt-1 refused: not JSON: /],
      // the genuine id over edited content (fewer flows flagged)
      [good.id + '-x', edited(good, (j) => (j.threshold = 0.55), false).blob, new RegExp(`^model ${good.id}-x refused: id ${good.id} does not match the content \\(hash if-[0-9a-f]{16}\\)`)],
    ];
    // a height limit that blocked the event loop for minutes, its id recomputed
    const tall = edited(good, (j) => (j.forest.heightLimit = 1_000_000), true);
    cases.push([tall.id, tall.blob, new RegExp(`^model ${tall.id} refused: heightLimit 1000000 is not ceil`)]);
    // a genuine model stored under another id: anomalies would name a model the registry does not know
    cases.push(['renamed', JSON.stringify(good.toJSON()), new RegExp(`^model renamed refused: its blob is model ${good.id}$`)]);

    for (const [id, blob, why] of cases) {
      errors.length = 0;
      await activateBlob(ds, good, id, blob);
      const t = Date.now();
      await w.check(ds);
      await w.check(ds); // the next poll does not try (and log) it again
      expect(Date.now() - t).toBeLessThan(2000);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(why);
      expect(w.refused.has(id)).toBe(true);
      expect(w.scorer?.model.id).toBe(good.id);
      expect(w.activeId).toBe(good.id);
    }
  }, 60000);
});
