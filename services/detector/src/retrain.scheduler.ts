import { spawn, type ChildProcess } from 'node:child_process';
import { extname, join } from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { z } from 'zod';
import type { DataSource } from 'typeorm';
import { FLOW_FEATURE_NAMES } from '@netsentry/flows';
import { Model, retrainOnWindow, type RetrainDecision } from '@netsentry/detection';
import { activateModel, getActiveModel, getModel, loadTrainingWindow, saveModel } from '@netsentry/storage';
import { modelRecord } from './model.record';
import { DETECTOR_CONFIG } from './detector.consumer';
import type { DetectorConfig } from './config';

/** What one scheduled run did (also printed as a `{"event":"retrain",...}` line). */
export interface RetrainOutcome {
  /** `passed`: the guard passed but activation was not asked for (manual runs). */
  decision: (typeof DECISIONS)[number];
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

/** A retraining run that takes longer than this is killed and reported as failed. */
const RETRAIN_CHILD_TIMEOUT_MS = 30 * 60_000;

const DECISIONS = ['activated', 'passed', 'refused', 'unchanged', 'no_data', 'skipped', 'failed'] as const;
/** The child's outcome line is input like any other: checked before it is reported. */
const RetrainOutcomeSchema = z.object({
  decision: z.enum(DECISIONS),
  group: z.string().max(128),
  modelId: z.string().max(128).optional(),
  version: z.number().int().optional(),
  previous: z.string().max(128).nullable().optional(),
  flows: z.number().int().nonnegative().optional(),
  guardFlows: z.number().int().nonnegative().optional(),
  flaggedFraction: z.number().min(0).max(1).optional(),
  maxFlaggedFraction: z.number().min(0).max(1).optional(),
  reason: z.string().max(2000),
});

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

/**
 * Scheduled retraining (off unless DETECTOR_RETRAIN_EVERY_MS > 0). Every interval: read the last
 * `retrainWindowS` of stored flows (libs/storage `loadTrainingWindow`), train a candidate and run
 * the guard on the last `retrainGuardWindowS` (libs/detection `retrainOnWindow`), store the
 * candidate in the registry with the guard's verdict in its quality summary, and activate it
 * (atomically, libs/storage `activateModel`) only if the guard passed. A refused candidate stays
 * in the `models` table, inactive, with `quality.retrain.decision = 'refused'` and the reason;
 * the active model is untouched. A later run that trains the same candidate (no new flows)
 * judges it again under its own settings and records that verdict instead. The ModelWatcher of every detector of the group picks an
 * activated model up at its next poll.
 *
 * Several detector instances of one group: a session advisory lock lets one of them run at a
 * time, and a run is skipped when the group's last retrained model is younger than half an
 * interval, so a group retrains about once per interval, not once per instance.
 */
@Injectable()
export class RetrainScheduler implements OnApplicationShutdown {
  private readonly log = new Logger('detector.retrain');
  private child: ChildProcess | null = null;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RetrainOutcome> | null = null;
  readonly outcomes: RetrainOutcome[] = [];

  constructor(@Inject(DETECTOR_CONFIG) private readonly cfg: DetectorConfig) {}

  get enabled(): boolean {
    return this.cfg.retrainEveryMs > 0;
  }

  /**
   * Starts the schedule (first run one interval after start); nothing when retraining is off.
   * Each run is a child process (`models.cli scheduled-run`, same environment, so the same
   * settings): reading 100 000+ flows and training take seconds of CPU in one synchronous stretch,
   * which in this process would stall the Kafka consumer (heartbeats, session timeout 15 s) and
   * the hot path. The child prints its outcome as JSON; this process reports it.
   */
  start(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => void this.tick(), this.cfg.retrainEveryMs);
    this.timer.unref();
    this.log.log(`retraining every ${this.cfg.retrainEveryMs} ms on the last ${this.cfg.retrainWindowS} s of flows, guard ${this.cfg.retrainMaxFlagged} over the last ${this.cfg.retrainGuardWindowS} s`);
  }

  private async tick(): Promise<void> {
    if (this.running || this.stopped) return; // a slow run is never overlapped by the next
    this.running = this.runInChild();
    try {
      this.report(await this.running);
    } finally {
      this.running = null;
    }
  }

  /** One run in a child process; never throws. Killed (and `failed`) after RETRAIN_CHILD_TIMEOUT_MS. */
  private runInChild(): Promise<RetrainOutcome> {
    const group = this.cfg.sensorGroup;
    const cli = join(__dirname, 'models.cli' + extname(__filename));
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [...process.execArgv, cli, 'scheduled-run'], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      this.child = child;
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out = (out + b.toString('utf8')).slice(-65536)));
      child.stderr.on('data', (b: Buffer) => (err = (err + b.toString('utf8')).slice(-4096)));
      const timer = setTimeout(() => child.kill('SIGKILL'), RETRAIN_CHILD_TIMEOUT_MS);
      const done = (o: RetrainOutcome): void => {
        clearTimeout(timer);
        this.child = null;
        resolve(o);
      };
      child.on('error', (e) => done({ decision: 'failed', group, reason: `cannot run the retraining: ${e.message}` }));
      child.on('exit', (code, signal) => {
        const last = out.trim().split('\n').pop() ?? '';
        const parsed = RetrainOutcomeSchema.safeParse(safeJson(last));
        if (code === 0 && parsed.success) done(parsed.data as RetrainOutcome);
        else done({ decision: 'failed', group, reason: `retraining process ended (${signal ?? code}): ${err.trim().split('\n').slice(-3).join(' | ') || last || 'no output'}` });
      });
    });
  }

  /** One retraining run; never throws (failures are an outcome). */
  async runOnce(ds: DataSource, report = true): Promise<RetrainOutcome> {
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
    if (report) this.report(out);
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
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.child?.kill('SIGTERM');
    await this.running?.catch(() => undefined);
  }
}

/** The settings of one retraining run (the detector's DETECTOR_RETRAIN_* and sensor group). */
export type RetrainSettings = Pick<
  DetectorConfig,
  'retrainWindowS' | 'retrainGuardWindowS' | 'retrainMaxFlagged' | 'retrainMinFlows' | 'retrainMaxRows' | 'retrainSensors' | 'retrainContamination'
> & { group: string; /** Store a passing candidate without activating it (default false). */ noActivate?: boolean };

/**
 * One retraining from the registry's database: train on the window of stored flows, guard, store
 * the candidate with its verdict (or replace the verdict of the same candidate stored by an
 * earlier run), activate it if it passed; `unchanged` only when it is the active model already. The scheduled runs and
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
  // Deterministic ids: the same window gives the same candidate.
  const active = await getActiveModel(ds, group);
  if (active?.id === m.id) return { decision: 'unchanged', group, modelId: m.id, version: active.version, ...verdict, reason: 'the candidate is the active model' };
  const accepted = d.kind === 'accept';
  const activate = accepted && !c.noActivate;
  const retrain = {
    decision: activate ? 'activated' : accepted ? 'passed' : 'refused',
    reason: d.reason,
    ...verdict,
    guardWindow: d.guardWindow,
    windowFlows: w.total,
    invalidRows: w.invalid,
  };
  const known = await getModel(ds, m.id);
  let version: number;
  if (known) {
    // Stored by an earlier run (refused under stricter settings, or with --no-activate): this
    // run's verdict, under the current settings, decides; the stored one is replaced.
    const p = Model.parseText(known.blob.toString('utf8'));
    if (!p.ok || p.model.id !== m.id) {
      return { decision: 'failed', group, modelId: m.id, ...verdict, reason: `the stored model ${m.id} is not this candidate: ${p.ok ? `its blob is model ${p.model.id}` : p.reason}` };
    }
    await ds.query(`UPDATE models SET quality = jsonb_set(quality, '{retrain}', $2::jsonb) WHERE id = $1`, [m.id, JSON.stringify(retrain)]);
    version = known.version;
  } else {
    const stored = await saveModel(ds, modelRecord(m, {
      sensorGroup: group,
      params: { ...m.params, origin: 'retrain', sensors: c.retrainSensors, windowS: c.retrainWindowS },
      quality: { ...m.quality, retrain },
      trainStart: w.start,
      trainEnd: w.end,
    }));
    version = stored.version;
  }
  const reason = known ? `${d.reason}; stored already as v${version}, judged again` : d.reason;
  if (!accepted) return { decision: 'refused', group, modelId: m.id, version, previous: active?.id ?? null, ...verdict, reason };
  if (!activate) return { decision: 'passed', group, modelId: m.id, version, previous: active?.id ?? null, ...verdict, reason };
  const a = await activateModel(ds, m.id);
  if (!a.ok) return { decision: 'failed', group, modelId: m.id, ...verdict, reason: a.code };
  return { decision: 'activated', group, modelId: m.id, version, previous: a.previous, ...verdict, reason };
}
