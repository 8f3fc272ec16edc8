import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { FLOW_FEATURE_NAMES } from '@netsentry/flows';
import { retrainOnWindow, type RetrainDecision } from '@netsentry/detection';
import { activateModel, getActiveModel, getModel, loadTrainingWindow, openDataSource, saveModel } from '@netsentry/storage';
import { DETECTOR_CONFIG } from './detector.consumer';
import type { DetectorConfig } from './config';

/** What one scheduled run did (also printed as a `{"event":"retrain",...}` line). */
export interface RetrainOutcome {
  /** `passed`: the guard passed but activation was not asked for (manual runs). */
  decision: 'activated' | 'passed' | 'refused' | 'unchanged' | 'no_data' | 'skipped' | 'failed';
  group: string;
  modelId?: string;
  version?: number;
  previous?: string | null;
  flows?: number;
  guardFlows?: number;
  flaggedFraction?: number;
  maxFlaggedFraction?: number;
  reason: string;
}

/**
 * Scheduled retraining (off unless DETECTOR_RETRAIN_EVERY_MS > 0). Every interval: read the last
 * `retrainWindowS` of stored flows (libs/storage `loadTrainingWindow`), train a candidate and run
 * the guard on the last `retrainGuardWindowS` (libs/detection `retrainOnWindow`), store the
 * candidate in the registry with the guard's verdict in its quality summary, and activate it
 * (atomically, libs/storage `activateModel`) only if the guard passed. A refused candidate stays
 * in the `models` table, inactive, with `quality.retrain.decision = 'refused'` and the reason;
 * the active model is untouched. The ModelWatcher of every detector of the group picks an
 * activated model up at its next poll.
 *
 * Several detector instances of one group: a session advisory lock lets one of them run at a
 * time, and a run is skipped when the group's last retrained model is younger than half an
 * interval, so a group retrains about once per interval, not once per instance.
 */
@Injectable()
export class RetrainScheduler implements OnApplicationShutdown {
  private readonly log = new Logger('detector.retrain');
  private ds: DataSource | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RetrainOutcome> | null = null;
  readonly outcomes: RetrainOutcome[] = [];

  constructor(@Inject(DETECTOR_CONFIG) private readonly cfg: DetectorConfig) {}

  get enabled(): boolean {
    return this.cfg.retrainEveryMs > 0;
  }

  /** Starts the schedule (first run one interval after start); nothing when retraining is off. */
  async start(): Promise<void> {
    if (!this.enabled) return;
    this.ds = await openDataSource({ url: this.cfg.databaseUrl, poolSize: 2 });
    this.timer = setInterval(() => void this.tick(), this.cfg.retrainEveryMs);
    this.timer.unref();
    this.log.log(`retraining every ${this.cfg.retrainEveryMs} ms on the last ${this.cfg.retrainWindowS} s of flows, guard ${this.cfg.retrainMaxFlagged} over the last ${this.cfg.retrainGuardWindowS} s`);
  }

  private async tick(): Promise<void> {
    if (this.running || !this.ds) return; // a slow run is never overlapped by the next
    this.running = this.runOnce(this.ds);
    try {
      await this.running;
    } finally {
      this.running = null;
    }
  }

  /** One retraining run; never throws (failures are an outcome). */
  async runOnce(ds: DataSource): Promise<RetrainOutcome> {
    const group = this.cfg.sensorGroup;
    let out: RetrainOutcome;
    const qr = ds.createQueryRunner();
    let locked = false;
    try {
      await qr.connect();
      const got: { ok: boolean }[] = await qr.query(`SELECT pg_try_advisory_lock(hashtext('netsentry.retrain'), hashtext($1)) AS ok`, [group]);
      locked = got[0]?.ok === true;
      if (!locked) out = { decision: 'skipped', group, reason: 'another detector of the group is retraining' };
      else out = await this.retrain(ds, group);
    } catch (e) {
      out = { decision: 'failed', group, reason: (e as Error).message };
    } finally {
      if (locked) await qr.query(`SELECT pg_advisory_unlock(hashtext('netsentry.retrain'), hashtext($1))`, [group]).catch(() => undefined);
      await qr.release().catch(() => undefined);
    }
    this.report(out);
    return out;
  }

  private async retrain(ds: DataSource, group: string): Promise<RetrainOutcome> {
    const recent: { n: string }[] = await ds.query(
      `SELECT count(*) AS n FROM models WHERE sensor_group = $1 AND params->>'origin' = 'retrain' AND created_at > now() - make_interval(secs => $2)`,
      [group, this.cfg.retrainEveryMs / 2000],
    );
    if (Number(recent[0]?.n ?? 0) > 0) return { decision: 'skipped', group, reason: 'the group was retrained less than half an interval ago' };
    return retrainFromStore(ds, { ...this.cfg, group });
  }

  private report(o: RetrainOutcome): void {
    this.outcomes.push(o);
    if (this.outcomes.length > 100) this.outcomes.shift();
    process.stdout.write(JSON.stringify({ event: 'retrain', ...o }) + '\n');
    const text = `retrain ${o.decision}${o.modelId ? ` model ${o.modelId}` : ''}: ${o.reason}`;
    if (o.decision === 'failed') this.log.error(text);
    else if (o.decision === 'refused') this.log.warn(text);
    else this.log.log(text);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
    await this.ds?.destroy().catch(() => undefined);
    this.ds = null;
  }
}

/** The settings of one retraining run (the detector's DETECTOR_RETRAIN_* and sensor group). */
export type RetrainSettings = Pick<
  DetectorConfig,
  'retrainWindowS' | 'retrainGuardWindowS' | 'retrainMaxFlagged' | 'retrainMinFlows' | 'retrainMaxRows' | 'retrainSensors' | 'retrainContamination'
> & { group: string; /** Store a passing candidate without activating it (default false). */ noActivate?: boolean };

/**
 * One retraining from the registry's database: train on the window of stored flows, guard, store
 * the candidate with its verdict, activate it if it passed. The scheduled runs and
 * `npm run models -- train` both use it. Throws only for database errors.
 */
export async function retrainFromStore(ds: DataSource, c: RetrainSettings): Promise<RetrainOutcome> {
  const group = c.group;
  const w = await loadTrainingWindow(ds, { sensors: c.retrainSensors, windowS: c.retrainWindowS, maxRows: c.retrainMaxRows });
  const d: RetrainDecision = retrainOnWindow(w.flows, {
    window: { start: w.start, end: w.end },
    guardWindowS: c.retrainGuardWindowS,
    maxFlaggedFraction: c.retrainMaxFlagged,
    minFlows: c.retrainMinFlows,
    featureNames: FLOW_FEATURE_NAMES,
    train: { sensorGroup: group, contamination: c.retrainContamination, maxTrainingRows: c.retrainMaxRows },
  });
  if (d.kind === 'no_data') return { decision: 'no_data', group, flows: d.flows, reason: d.reason };
  const m = d.candidate;
  const verdict = { flows: d.flows, guardFlows: d.guardFlows, flaggedFraction: d.flaggedFraction, maxFlaggedFraction: d.maxFlaggedFraction };
  // Deterministic ids: the same window gives the same candidate, judged the same way already.
  const active = await getActiveModel(ds, group);
  if (active?.id === m.id) return { decision: 'unchanged', group, modelId: m.id, version: active.version, ...verdict, reason: 'the candidate is the active model' };
  const known = await getModel(ds, m.id);
  if (known) return { decision: 'unchanged', group, modelId: m.id, version: known.version, ...verdict, reason: 'this candidate was stored already (no new flows)' };
  const accepted = d.kind === 'accept';
  const activate = accepted && !c.noActivate;
  const stored = await saveModel(ds, {
    id: m.id,
    sensorGroup: group,
    params: { ...m.params, origin: 'retrain', sensors: c.retrainSensors, windowS: c.retrainWindowS },
    featureStats: { featureNames: [...m.featureNames], columns: m.columns, quantiles: m.quantiles },
    quality: {
      ...m.quality,
      retrain: {
        decision: activate ? 'activated' : accepted ? 'passed' : 'refused',
        reason: d.reason,
        ...verdict,
        guardWindow: d.guardWindow,
        windowFlows: w.total,
        invalidRows: w.invalid,
      },
    },
    blob: Buffer.from(JSON.stringify(m.toJSON())),
    trainStart: w.start,
    trainEnd: w.end,
  });
  if (!accepted) return { decision: 'refused', group, modelId: m.id, version: stored.version, previous: active?.id ?? null, ...verdict, reason: d.reason };
  if (!activate) return { decision: 'passed', group, modelId: m.id, version: stored.version, previous: active?.id ?? null, ...verdict, reason: d.reason };
  const a = await activateModel(ds, m.id);
  if (!a.ok) return { decision: 'failed', group, modelId: m.id, ...verdict, reason: a.code };
  return { decision: 'activated', group, modelId: m.id, version: stored.version, previous: a.previous, ...verdict, reason: d.reason };
}
