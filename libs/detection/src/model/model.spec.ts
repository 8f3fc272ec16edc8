import { AnomalyV1, FlowV1 as FlowSchema } from '@netsentry/contracts';
import { FLOW_FEATURE_NAMES } from '@netsentry/flows';
import { Model, trainModel } from './model';
import { ModelError } from './model.errors';
import { Scorer, severityOf } from './scorer';
import { toAnomaly } from './anomaly';
import { retrainGuard } from './retrain';
import { syntheticFlows } from './model.fixtures';
import { quantileSorted } from './stats';

const normal = syntheticFlows(3000, 1);
const scans = syntheticFlows(20, 2, 'scan');
const exfil = syntheticFlows(5, 3, 'exfil');

describe('trainModel', () => {
  const model = trainModel(normal, { seed: 7, sensorGroup: 'lab' });

  it('fixtures are valid FlowV1 records', () => {
    expect(FlowSchema.safeParse(normal[0]).success).toBe(true);
    expect(FlowSchema.safeParse(scans[0]).success).toBe(true);
  });

  it('stores the feature list, scaler, threshold, seed, window and library version', () => {
    const j = model.toJSON();
    expect(j.featureNames).toEqual([...FLOW_FEATURE_NAMES]);
    expect(j.columns.map((c) => c.name).slice(-4)).toEqual(['proto', 'service', 'state', 'port_class']);
    expect(j.params).toEqual({ nEstimators: 100, maxSamples: 256, contamination: 'auto', seed: 7 });
    expect(j.threshold).toBe(0.5);
    expect(j.sensorGroup).toBe('lab');
    expect(j.libraryVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(j.trainingWindow.start).toBe(normal[0].start);
    expect(j.trainingRows).toBe(3000);
    expect(j.id).toMatch(/^if-[0-9a-f]{16}$/);
    // heavy-tailed counts are log-scaled, the 0..1 noise features are not
    const byName = new Map(j.columns.map((c) => [c.name, c]));
    const dur = byName.get('Flow Duration');
    expect(dur && dur.kind === 'numeric' && dur.log).toBe(true);
    const noiseCol = j.columns.find((c) => c.kind === 'numeric' && c.name === FLOW_FEATURE_NAMES[7]);
    expect(noiseCol && noiseCol.kind === 'numeric' && noiseCol.log).toBe(false);
    // robust scaling: scaled training medians are 0
    const centreIdx = j.columns.findIndex((c) => c.name === 'Total Fwd Packet');
    expect(Math.abs(j.quantiles[centreIdx][10])).toBeLessThan(1e-9);
    // categorical frequency encoding
    const state = byName.get('state');
    expect(state && state.kind === 'categorical' && state.freq['established']).toBeGreaterThan(0.6);
  });

  it('is deterministic: same seed and flows give the same JSON and id; another seed another id', () => {
    const again = trainModel(normal, { seed: 7, sensorGroup: 'lab' });
    expect(JSON.stringify(again.toJSON())).toBe(JSON.stringify(model.toJSON()));
    expect(trainModel(normal, { seed: 8, sensorGroup: 'lab' }).id).not.toBe(model.id);
  });

  it('serialises to compact JSON and loads back to identical scores', () => {
    const text = JSON.stringify(model.toJSON());
    expect(text.length).toBeLessThan(2_000_000);
    const loaded = Model.fromJSON(JSON.parse(text));
    expect(loaded.id).toBe(model.id);
    const a = new Scorer(model).scoreBatch([...normal.slice(0, 200), ...scans]);
    const b = new Scorer(loaded).scoreBatch([...normal.slice(0, 200), ...scans]);
    expect(b).toEqual(a);
    expect(loaded.withVersion(3).version).toBe(3);
    expect(loaded.withVersion(3).id).toBe(model.id);
  });

  it('rejects damaged model JSON as a value (parse) or a ModelError (fromJSON)', () => {
    const j = JSON.parse(JSON.stringify(model.toJSON()));
    j.columns.pop();
    const r = Model.parse(j);
    expect(r.ok).toBe(false);
    expect(() => Model.fromJSON({ format: 'nope' })).toThrow(ModelError);
    expect(Model.parse(null).ok).toBe(false);
  });

  it('sets the threshold from contamination as the quantile of training scores', () => {
    const m = trainModel(normal, { seed: 7, contamination: 0.05 });
    const scores = new Scorer(m).scoreBatch(normal).map((r) => r.score).sort((a, b) => a - b);
    expect(m.threshold).toBeCloseTo(quantileSorted(scores, 0.95), 12);
    expect(m.quality.flaggedFraction).toBeGreaterThan(0.04);
    expect(m.quality.flaggedFraction).toBeLessThanOrEqual(0.05);
  });

  it.each([
    [{ nEstimators: 0 }],
    [{ maxSamples: 1 }],
    [{ contamination: 0.9 }],
    [{ seed: -1 }],
  ])('refuses bad options %j with MODEL.BAD_OPTIONS', (opts) => {
    expect(() => trainModel(normal.slice(0, 10), opts)).toThrow(/MODEL.BAD_OPTIONS/);
  });

  it('fits a large baseline on a seeded uniform sample, recording both sizes', () => {
    const a = trainModel(normal, { seed: 7, maxTrainingRows: 1000 });
    expect(a.toJSON().trainingRows).toBe(1000);
    expect(a.toJSON().baselineRows).toBe(3000);
    expect(a.trainingWindow.end).toBe(Math.max(...normal.map((f) => f.end)));
    expect(trainModel(normal, { seed: 7, maxTrainingRows: 1000 }).id).toBe(a.id);
    expect(trainModel(normal, { seed: 7 }).toJSON().trainingRows).toBe(3000);
  });

  it('refuses to train on fewer than two flows', () => {
    expect(() => trainModel([])).toThrow(/MODEL.NO_TRAINING_DATA/);
  });
});

describe('Scorer', () => {
  // 1 % contamination: with 'auto' (0.5) this synthetic baseline, whose near-duplicate columns
  // have no dense core, flags ~15 % of its own kind; the threshold is the policy under test here.
  const model = trainModel(normal, { seed: 7, contamination: 0.01 });
  const scorer = new Scorer(model);

  it('flags scans and exfiltration, leaves most normal flows alone', () => {
    const n = scorer.scoreBatch(syntheticFlows(500, 99));
    const flaggedNormal = n.filter((r) => r.anomalous).length / n.length;
    expect(flaggedNormal).toBeLessThan(0.05);
    for (const r of scorer.scoreBatch([...scans, ...exfil])) {
      expect(r.anomalous).toBe(true);
      expect(r.severity).not.toBeNull();
    }
  });

  it('score() equals scoreBatch() for the same flow', () => {
    const batch = scorer.scoreBatch([normal[5], scans[0]]);
    expect(scorer.score(normal[5])).toEqual(batch[0]);
    expect(scorer.score(scans[0])).toEqual(batch[1]);
  });

  it('explains an anomaly with the features that isolate it, contributions summing to ≤ 1', () => {
    const r = scorer.score(exfil[0]);
    expect(r.topFeatures.length).toBeGreaterThan(0);
    expect(r.topFeatures.length).toBeLessThanOrEqual(5);
    const sum = r.topFeatures.reduce((a, f) => a + f.contribution, 0);
    expect(sum).toBeLessThanOrEqual(1 + 1e-9);
    for (let i = 1; i < r.topFeatures.length; i++) expect(r.topFeatures[i - 1].contribution).toBeGreaterThanOrEqual(r.topFeatures[i].contribution);
    // exfil differs from normal in packets, bytes and duration (features j % 4 = 0, 1, 2), not in
    // the noise features (j % 4 = 3): every listed feature must be a real difference
    for (const f of r.topFeatures) {
      const idx = FLOW_FEATURE_NAMES.indexOf(f.name as (typeof FLOW_FEATURE_NAMES)[number]);
      expect(idx).toBeGreaterThanOrEqual(0);
      expect(idx % 4 === 3 && !['Total Bwd packets'].includes(f.name)).toBe(false);
    }
    const top = r.topFeatures[0];
    expect(top.value).toBe(exfil[0].features[top.name]);
    expect(top.baseline).not.toBe(top.value);
    expect(scorer.score(normal[0]).topFeatures).toEqual(scorer.score(normal[0]).anomalous ? expect.any(Array) : []);
  });

  it('refuses a model whose feature list differs from the running code', () => {
    expect(() => new Scorer(model, { featureNames: [...FLOW_FEATURE_NAMES, 'New Feature'] })).toThrow(/MODEL.FEATURES_MISMATCH/);
    const partial = normal.map((f) => {
      const features = { ...f.features };
      delete features['Idle Min'];
      return { ...f, features };
    });
    const old = trainModel(partial, { seed: 1 });
    expect(() => new Scorer(old)).toThrow(/MODEL.FEATURES_MISMATCH.*only in code: Idle Min/);
    expect(() => new Scorer(old, { featureNames: 'any' })).not.toThrow();
    // same names in another order are the same list
    expect(() => new Scorer(model, { featureNames: [...FLOW_FEATURE_NAMES].reverse() })).not.toThrow();
  });

  it('reads features by name when a record is not in the canonical order (same score)', () => {
    const f = normal[3];
    const reversed = { ...f, features: Object.fromEntries(Object.entries(f.features).reverse()) };
    expect(Object.keys(reversed.features)[0]).not.toBe(Object.keys(f.features)[0]);
    expect(scorer.score(reversed)).toEqual(scorer.score(f));
    const shuffledTraining = normal.map((g, i) => (i % 2 ? { ...g, features: Object.fromEntries(Object.entries(g.features).reverse()) } : g));
    expect(trainModel(shuffledTraining, { seed: 7, contamination: 0.01 }).id).toBe(model.id);
  });

  it('scores a flow that lacks a feature with the training median in its place', () => {
    const f = { ...normal[1], features: { ...normal[1].features } };
    delete f.features['Flow Duration'];
    const s = new Scorer(model);
    const r = s.score(f);
    expect(r.score).toBeGreaterThan(0);
    expect(s.missingFeatureValues).toBe(1);
  });

  it('bands severities from the threshold up', () => {
    const b = model.severityBands;
    expect(severityOf(model, model.threshold)).toBeNull();
    expect(severityOf(model, model.threshold + 1e-9)).toBe('low');
    expect(severityOf(model, b.medium)).toBe('medium');
    expect(severityOf(model, b.high)).toBe('high');
    expect(severityOf(model, b.critical)).toBe('critical');
    expect(b.medium).toBeLessThan(b.high);
    expect(b.high).toBeLessThan(b.critical);
  });
});

describe('toAnomaly', () => {
  const model = trainModel(normal, { seed: 7 }).withVersion(4);
  it('builds a valid AnomalyV1 with a deterministic id (flow id + model id)', () => {
    const r = new Scorer(model).score(scans[0]);
    const a = toAnomaly(scans[0], r, model);
    expect(AnomalyV1.parse(a)).toEqual(a);
    expect(a.id).toBe(`${scans[0].id}:${model.id}`);
    expect(a.model).toEqual({ id: model.id, version: 4 });
    expect(toAnomaly(scans[0], new Scorer(model).score(scans[0]), model)).toEqual(a);
  });
});

describe('retrainGuard', () => {
  const good = trainModel(normal, { seed: 3, contamination: 0.01 });
  const polluted = trainModel([...syntheticFlows(200, 5), ...syntheticFlows(200, 6, 'scan')], { seed: 3, contamination: 0.3 });
  const lastWindow = syntheticFlows(400, 77);

  it('accepts a candidate that flags little of the last window', () => {
    const v = retrainGuard(good, lastWindow, 0.1);
    expect(v.accept).toBe(true);
    expect(v.flaggedFraction).toBeLessThan(0.1);
  });

  it('rejects a candidate that flags more than the allowed fraction', () => {
    const v = retrainGuard(polluted, lastWindow, 0.1);
    expect(v.flaggedFraction).toBeGreaterThan(0.1);
    expect(v.accept).toBe(false);
    expect(retrainGuard(good, [], 0.1).accept).toBe(false);
  });
});
