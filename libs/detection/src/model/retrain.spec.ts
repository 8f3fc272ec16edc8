import { syntheticFlows } from './model.fixtures';
import { retrainOnWindow } from './retrain';

describe('retrainOnWindow (scheduled retraining without storage)', () => {
  const flows = syntheticFlows(600, 11); // starts 1_700_000_000 + i
  const window = { start: 1_700_000_000, end: 1_700_000_600 };

  it('trains a candidate on the window and accepts it when it flags little of the last part', () => {
    const d = retrainOnWindow(flows, { window, guardWindowS: 200, maxFlaggedFraction: 0.05, train: { seed: 4, contamination: 0.01 } });
    if (d.kind === 'no_data') throw new Error(d.reason);
    expect(d.kind).toBe('accept');
    expect(d.flows).toBe(600);
    expect(d.guardWindow).toEqual({ start: 1_700_000_400, end: 1_700_000_600 });
    expect(d.guardFlows).toBe(flows.filter((f) => f.start >= 1_700_000_400).length);
    expect(d.flaggedFraction).toBeLessThanOrEqual(0.05);
    expect(d.candidate.trainingWindow).toEqual(window);
    // deterministic: the same window gives the same candidate
    const again = retrainOnWindow(flows, { window, guardWindowS: 200, maxFlaggedFraction: 0.05, train: { seed: 4, contamination: 0.01 } });
    expect(again.kind !== 'no_data' && again.candidate.id).toBe(d.candidate.id);
  });

  it('refuses a candidate that flags more than the allowed fraction', () => {
    // contamination 0.1 puts the threshold at the 90th percentile of the training scores: about a
    // tenth of the window is flagged, which a guard of 0 cannot allow.
    const d = retrainOnWindow(flows, { window, guardWindowS: 600, maxFlaggedFraction: 0, train: { seed: 4, contamination: 0.1 } });
    if (d.kind === 'no_data') throw new Error(d.reason);
    expect(d.kind).toBe('refuse');
    expect(d.flaggedFraction).toBeGreaterThan(0.05);
    expect(d.reason).toMatch(/more than the 0\.00% allowed/);
  });

  it('refuses a candidate the running code could not score, and gives no candidate for too few flows', () => {
    const d = retrainOnWindow(flows, { window, guardWindowS: 200, maxFlaggedFraction: 1, featureNames: ['not a feature'] });
    expect(d.kind).toBe('refuse');
    expect(d.kind !== 'no_data' && d.reason).toMatch(/different feature list/);
    expect(retrainOnWindow(flows.slice(0, 10), { window, guardWindowS: 200, maxFlaggedFraction: 1, minFlows: 100 })).toEqual({
      kind: 'no_data',
      flows: 10,
      reason: '10 flows in the window, fewer than 100',
    });
  });
});
