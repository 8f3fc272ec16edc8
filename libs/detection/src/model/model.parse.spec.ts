import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { itIf } from '@netsentry/testing';
import type { FlowV1 } from '@netsentry/contracts';
import { Model, trainModel, type ModelJsonV1 } from './model';
import { Scorer } from './scorer';
import { flowsFromCapture } from './capture-flows';

/**
 * Model.parse on models that trainModel did not write: a stored model is untrusted input. Each
 * damaged model also gets a recomputed id (what someone editing a model would do), so that the
 * check under test, not the id check, is what refuses it.
 */
const BASELINE = resolve(__dirname, '../../../../data/samples/baseline.pcap');

type Json = ModelJsonV1 & Record<string, unknown>;

/** The id trainModel would give this content (as in MODEL.md: SHA-256 of all but id and version). */
function rehash(j: Json): Json {
  const { id: _id, version: _version, ...body } = j;
  return { ...j, id: 'if-' + createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16) };
}

function refusal(j: unknown): string {
  const r = Model.parse(j);
  return r.ok ? 'accepted' : r.reason;
}

describe('Model.parse on edited and hostile models (lab baseline flows)', () => {
  let flows: FlowV1[] = [];
  let model: Model;
  const copy = (): Json => JSON.parse(JSON.stringify(model.toJSON()));
  beforeAll(async () => {
    if (!existsSync(BASELINE)) return;
    flows = await flowsFromCapture(BASELINE);
    model = trainModel(flows, { seed: 3, nEstimators: 20 });
  });
  const it_ = itIf(existsSync(BASELINE), 'needs data/samples/baseline.pcap');

  it_('loads what it trained, through JSON text and through a load-and-store-again round trip, with the same id', () => {
    const once = Model.parseText(JSON.stringify(model.toJSON()));
    if (!once.ok) throw new Error(once.reason);
    expect(once.model.id).toBe(model.id);
    // A registry stores a loaded model again (`models register`, withVersion): the schema's key
    // order must hash to the same id.
    const twice = Model.parseText(JSON.stringify(once.model.withVersion(7).toJSON()));
    if (!twice.ok) throw new Error(twice.reason);
    expect(twice.model.id).toBe(model.id);
    expect(twice.model.version).toBe(7);
    expect(new Scorer(twice.model).scoreBatch(flows.slice(0, 20))).toEqual(new Scorer(model).scoreBatch(flows.slice(0, 20)));
    // a training window given by the caller with its keys in another order hashes as stored
    const w = trainModel(flows, { seed: 3, nEstimators: 5, trainingWindow: { end: 2e9, start: 1e9 } as { start: number; end: number } });
    expect(Model.parse(JSON.parse(JSON.stringify(w.toJSON()))).ok).toBe(true);
  });

  it_('refuses a model whose id is not its content hash, naming both ids', () => {
    const j = copy();
    j.threshold = 0.55; // fewer flows flagged: what an attacker who wants to hide would do
    const genuine = rehash(j).id;
    expect(refusal(j)).toBe(`id ${model.id} does not match the content (hash ${genuine}): the model was changed after training`);
    expect(refusal(rehash(j))).toBe('accepted');
  });

  it_('refuses a height limit that would make every walk take millions of steps', () => {
    const j = copy();
    j.forest.heightLimit = 20_000_000;
    expect(refusal(rehash(j))).toBe('heightLimit 20000000 is not ceil(log2(subsampleSize 198)) = 8');
  });

  it_.each([
    { name: '1 (every score 0)', size: 1, height: 8, why: /^forest\.subsampleSize: Too small/ },
    { name: '2^30 (everything flagged)', size: 2 ** 30, height: 8, why: /^heightLimit 8 is not ceil\(log2\(subsampleSize 1073741824\)\) = 30$/ },
    { name: '2^30 with its height limit', size: 2 ** 30, height: 30, why: /^forest.subsampleSize 1073741824 is not min\(params.maxSamples 256, trainingRows 198\) = 198$/ },
    { name: 'maxSamples instead of the rows drawn', size: 256, height: 8, why: /^forest.subsampleSize 256 is not min\(params.maxSamples 256, trainingRows 198\) = 198$/ },
  ])('refuses a subsample size of $name', ({ size, height, why }) => {
    const j = copy();
    j.forest.subsampleSize = size;
    j.forest.heightLimit = height;
    expect(refusal(rehash(j))).toMatch(why);
  });

  it_('refuses params that disagree with the forest or pass the training limits', () => {
    const j = copy();
    j.params.nEstimators = 100;
    expect(refusal(rehash(j))).toBe('forest has 20 trees, params.nEstimators is 100');
    const k = copy();
    k.params.seed = 2 ** 40;
    expect(refusal(rehash(k))).toMatch(/^params\.seed: Too big/);
    const s = copy();
    s.severity = { medium: 0, high: 0, critical: 0 };
    expect(refusal(rehash(s))).toBe('severity bands do not rise from the threshold to below 1');
  });

  it('refuses text that is not JSON as a value', () => {
    expect(Model.parseText('{"format": not json')).toMatchObject({ ok: false, code: 'MODEL.BAD_JSON', reason: expect.stringMatching(/^not JSON: /) });
  });
});
