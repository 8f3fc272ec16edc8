import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { FLOW_FEATURE_NAMES } from '@netsentry/flows';
import { Model, Scorer } from '@netsentry/detection';
import { getActiveModel } from '@netsentry/storage';

/**
 * Follows the model registry: the active model of the sensor group is loaded when it changes,
 * so activating a new model takes effect without a restart. A model that cannot be loaded (bad
 * blob, a feature list other than the running code's) is refused and the previous one kept.
 */
@Injectable()
export class ModelWatcher {
  private readonly log = new Logger('detector.model');
  scorer: Scorer | null = null;
  activeId: string | null = null;
  refused = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(@Inject('DETECTOR_SENSOR_GROUP') private readonly group: string) {}

  start(ds: DataSource, everyMs: number): Promise<void> {
    this.timer = setInterval(() => void this.check(ds), everyMs);
    this.timer.unref();
    return this.check(ds);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async check(ds: DataSource): Promise<void> {
    try {
      const m = await getActiveModel(ds, this.group);
      if (!m) {
        this.scorer = null;
        this.activeId = null;
        return;
      }
      if (m.id === this.activeId || this.refused.has(m.id)) return;
      // A blob that is not JSON is a bad model like any other: refused once, by id, not retried.
      const parsed = Model.parseText(m.blob.toString('utf8'));
      if (!parsed.ok) {
        this.refused.add(m.id);
        this.log.error(`model ${m.id} refused: ${parsed.reason}`);
        return;
      }
      if (parsed.model.id !== m.id) {
        this.refused.add(m.id);
        this.log.error(`model ${m.id} refused: its blob is model ${parsed.model.id}`);
        return;
      }
      try {
        this.scorer = new Scorer(parsed.model.withVersion(m.version), { featureNames: FLOW_FEATURE_NAMES });
      } catch (e) {
        this.refused.add(m.id);
        this.log.error(`model ${m.id} refused: ${(e as Error).message}`);
        return;
      }
      this.activeId = m.id;
      this.log.log(`scoring with model ${m.id} v${m.version}`);
    } catch (e) {
      this.log.error(`model registry check failed: ${(e as Error).message}`);
    }
  }
}
