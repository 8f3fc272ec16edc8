import { readDetectorConfig } from '../src/config';

describe('detector retraining settings', () => {
  it('are off by default, with the documented defaults', () => {
    const r = readDetectorConfig({});
    if (!r.ok) throw new Error(r.message);
    expect(r.config).toMatchObject({
      retrainEveryMs: 0,
      retrainWindowS: 86400,
      retrainGuardWindowS: 3600,
      retrainMaxFlagged: 0.05,
      retrainMinFlows: 1000,
      retrainMaxRows: 100000,
      retrainSensors: [],
      retrainContamination: 0.01,
    });
  });

  it('read the environment and refuse bad values, naming the setting', () => {
    const r = readDetectorConfig({
      DETECTOR_RETRAIN_EVERY_MS: '3600000',
      DETECTOR_RETRAIN_SENSORS: 'edge-1, edge-2',
      DETECTOR_RETRAIN_CONTAMINATION: 'auto',
      DETECTOR_RETRAIN_MAX_FLAGGED: '0.2',
    });
    if (!r.ok) throw new Error(r.message);
    expect(r.config).toMatchObject({ retrainEveryMs: 3600000, retrainSensors: ['edge-1', 'edge-2'], retrainContamination: 'auto', retrainMaxFlagged: 0.2 });
    for (const [k, v, path] of [
      ['DETECTOR_RETRAIN_EVERY_MS', '500', 'retrainEveryMs'],
      ['DETECTOR_RETRAIN_MAX_FLAGGED', '1.5', 'retrainMaxFlagged'],
      ['DETECTOR_RETRAIN_CONTAMINATION', '0.9', 'retrainContamination'],
      ['DETECTOR_RETRAIN_WINDOW_S', 'day', 'retrainWindowS'],
    ]) {
      const bad = readDetectorConfig({ [k]: v });
      expect(bad.ok).toBe(false);
      expect(!bad.ok && bad.message).toContain(path);
    }
  });
});

describe('detector fetch settings', () => {
  it('fetch size: 64 MiB by default, read from DETECTOR_FETCH_MAX_BYTES, at least 1 MiB', () => {
    const d = readDetectorConfig({});
    expect(d.ok && d.config.fetchMaxBytes).toBe(64 << 20);
    const set = readDetectorConfig({ DETECTOR_FETCH_MAX_BYTES: String(16 << 20) });
    expect(set.ok && set.config.fetchMaxBytes).toBe(16 << 20);
    const bad = readDetectorConfig({ DETECTOR_FETCH_MAX_BYTES: '4096' });
    expect(!bad.ok && bad.message).toContain('fetchMaxBytes');
  });
});
