import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainModel } from '@netsentry/detection';
import { REPO_ROOT } from '@netsentry/messaging';
import { getActiveModel, listModels, migrateDatabase, openDataSource, storeFlows } from '@netsentry/storage';
import { createTestDatabase, itIf, type TestDatabase } from '@netsentry/testing';
import type { DataSource } from 'typeorm';
import { runModelsCli } from '../src/models.cli';
import { flowsOf } from './fixtures';

const BASELINE = join(REPO_ROOT, 'data/samples/baseline.pcap');

// The registry command line (`npm run models`) against the real PostgreSQL: train from stored
// flows with the guard, register a model file, activate, list; refusals and bad input.
describe('models command line', () => {
  let db: TestDatabase | null = null;
  let ds: DataSource | null = null;
  const dir = mkdtempSync(join(tmpdir(), 'netsentry-models-'));
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const code = await runModelsCli(argv, { out: (s) => (out += s), err: (s) => (err += s), env: { DATABASE_URL: db!.url } });
    return { code, out, err };
  };

  itIf(existsSync(BASELINE), 'needs data/samples/baseline.pcap')('trains from stored flows, registers, activates and lists models', async () => {
    db = await createTestDatabase({ migrate: migrateDatabase });
    ds = await openDataSource({ url: db.url, poolSize: 2 });
    const baseline = await flowsOf(BASELINE, 'lab-1');
    await storeFlows(ds, baseline);

    const t = await cli('train', '--sensors', 'lab-1', '--min-flows', '50');
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    const trained = JSON.parse(t.out) as { decision: string; modelId: string; flows: number };
    expect(trained).toMatchObject({ decision: 'activated', flows: baseline.length });
    expect((await getActiveModel(ds, 'default'))?.id).toBe(trained.modelId);

    // A model file from `netsentry train` (here trainModel on the same capture's flows).
    const file = join(dir, 'model.json');
    const m = trainModel(baseline, { seed: 9, nEstimators: 50 });
    writeFileSync(file, JSON.stringify(m.toJSON()));
    const r = await cli('register', file, '--activate');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`registered ${m.id} as default v2\nactivated ${m.id} (was ${trained.modelId})\n`);
    expect((await getActiveModel(ds, 'default'))?.id).toBe(m.id);
    expect((await cli('register', file)).code).toBe(2); // once only

    const l = await cli('list', '--group', 'default');
    const lines = l.out.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^default v2 ${m.id} ACTIVE `));
    expect(lines[1]).toMatch(new RegExp(`^default v1 ${trained.modelId} inactive .* retrain: activated \\(flags`));

    const a = await cli('activate', trained.modelId);
    expect(a.code).toBe(0);
    expect((await getActiveModel(ds, 'default'))?.id).toBe(trained.modelId);

    // A guard that must fail: refused (exit 1), stored inactive, the active model kept.
    const no = await cli('train', '--sensors', 'lab-1', '--min-flows', '50', '--contamination', '0.1', '--max-flagged', '0');
    expect(no.code).toBe(1);
    const refused = JSON.parse(no.out) as { decision: string; modelId: string; previous: string };
    expect(refused).toMatchObject({ decision: 'refused', previous: trained.modelId });
    expect((await getActiveModel(ds, 'default'))?.id).toBe(trained.modelId);
    expect((await listModels(ds, 'default')).find((x) => x.id === refused.modelId)?.active).toBe(false);
  }, 120000);

  itIf(existsSync(BASELINE), 'needs data/samples/baseline.pcap')('says what is wrong with bad input (exit 2)', async () => {
    expect(db).not.toBeNull();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"format":"something else"}');
    const r = await cli('register', bad);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not a NetSentry model/);
    expect((await cli('register', join(dir, 'missing.json'))).err).toMatch(/ENOENT/);
    const u = await cli('activate', 'no-such-model');
    expect(u).toEqual({ code: 2, out: '', err: 'models: no model no-such-model\n' });
    const none = await cli('train', '--sensors', 'nobody');
    expect(none.code).toBe(2);
    expect(JSON.parse(none.out)).toMatchObject({ decision: 'no_data', flows: 0 });
    expect((await cli('train', '--max-flagged', '2')).err).toMatch(/--max-flagged must be a number in \[0, 1\]/);
  }, 60000);
});
