import type { Model } from '@netsentry/detection';
import type { NewModel } from '@netsentry/storage';

/**
 * The registry row of a trained model: its parameters, feature statistics, quality summary,
 * serialised form and training window. `extra` overrides fields (the group it is registered
 * for, where it came from, the window it was trained on).
 */
export function modelRecord(m: Model, extra: Partial<NewModel> = {}): NewModel {
  return {
    id: m.id,
    sensorGroup: m.sensorGroup,
    params: { ...m.params },
    featureStats: { featureNames: [...m.featureNames], columns: m.columns, quantiles: m.quantiles },
    quality: { ...m.quality },
    blob: Buffer.from(JSON.stringify(m.toJSON())),
    trainStart: m.trainingWindow.start,
    trainEnd: m.trainingWindow.end,
    ...extra,
  };
}
