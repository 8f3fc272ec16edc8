// `npm run models -- <command>`: the model registry (the `models` table) from the command line.
// Uses DATABASE_URL. Exit status: 0 done, 1 a retraining refused by its guard, 2 usage or input error.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { DataSource } from 'typeorm';
import { FLOW_FEATURE_NAMES } from '@netsentry/flows';
import { Model, sameFeatureList } from '@netsentry/detection';
import { activateModel, databaseUrlFromEnv, getModel, listModels, openDataSource, saveModel } from '@netsentry/storage';
import { modelRecord } from './model.record';
import { DetectorConfig, readDetectorConfig } from './config';
import { RetrainScheduler, retrainFromStore } from './retrain.scheduler';

class UsageError extends Error {}

export interface ModelsCliIO {
  out?: (s: string) => void;
  err?: (s: string) => void;
  env?: NodeJS.ProcessEnv;
}

const iso = (d: Date | null): string => (d ? d.toISOString().replace(/\.\d+Z$/, 'Z') : '-');
const isoS = (s: number): string => new Date(Math.round(s * 1000)).toISOString().replace(/\.\d+Z$/, 'Z');

function number(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${name} must be a number in [${min}, ${max}], got '${v}'`);
  return n;
}

/** Runs one registry command; resolves to the exit code and never calls process.exit. */
export async function runModelsCli(argv: string[], io: ModelsCliIO = {}): Promise<number> {
  const out = io.out ?? ((s: string) => process.stdout.write(s));
  const err = io.err ?? ((s: string) => process.stderr.write(s));
  const print = (s: string): void => out(s + '\n');
  let code = 0;
  let ds: DataSource | null = null;
  const db = async (): Promise<DataSource> => (ds ??= await openDataSource({ url: databaseUrlFromEnv(io.env ?? process.env), poolSize: 2 }));

  const program = new Command('models')
    .description('the NetSentry model registry: list, register, activate, retrain from stored flows')
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err });

  program
    .command('list')
    .description('models of a sensor group (or all), newest version first, with their training window and retraining verdict')
    .option('--group <name>', 'sensor group')
    .option('--json', 'one JSON object per line')
    .action(async (o: { group?: string; json?: boolean }) => {
      const rows = await listModels(await db(), o.group);
      for (const m of rows) {
        const r = (m.quality as { retrain?: { decision?: string; flaggedFraction?: number; reason?: string } }).retrain;
        if (o.json) print(JSON.stringify(m));
        else
          print(
            `${m.sensorGroup} v${m.version} ${m.id} ${m.active ? 'ACTIVE' : 'inactive'} created ${iso(m.createdAt)} activated ${iso(m.activatedAt)} ` +
              `trained on ${isoS(m.trainStart)}..${isoS(m.trainEnd)}${r ? ` retrain: ${r.decision} (${r.reason ?? ''})` : ''}`,
          );
      }
      if (rows.length === 0 && !o.json) print('no models');
    });

  program
    .command('register')
    .description('store a model file (from `netsentry train`) as the next version of its sensor group')
    .argument('<model.json>')
    .option('--group <name>', "sensor group (default: the model's own)")
    .option('--activate', 'make it the active model of the group (atomically)')
    .action(async (file: string, o: { group?: string; activate?: boolean }) => {
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        throw new UsageError(`${file}: ${(e as Error).message}`);
      }
      const p = Model.parse(raw);
      if (!p.ok) throw new UsageError(`${file}: not a NetSentry model: ${p.reason}`);
      const m = p.model;
      if (!sameFeatureList(m.featureNames, FLOW_FEATURE_NAMES)) throw new UsageError(`${file}: model ${m.id} was trained on another feature list; the detector would refuse it`);
      const d = await db();
      const group = o.group ?? m.sensorGroup;
      const existing = await getModel(d, m.id);
      if (existing) throw new UsageError(`model ${m.id} is registered already (${existing.sensorGroup} v${existing.version})`);
      const s = await saveModel(d, modelRecord(m, { sensorGroup: group, params: { ...m.params, origin: 'file' } }));
      print(`registered ${s.id} as ${group} v${s.version}`);
      if (o.activate) {
        const a = await activateModel(d, s.id);
        if (a.ok) print(`activated ${s.id}${a.previous ? ` (was ${a.previous})` : ''}`);
      }
    });

  program
    .command('activate')
    .description('make a registered model the active one of its sensor group (atomically; detectors pick it up at their next poll)')
    .argument('<id>')
    .action(async (id: string) => {
      const a = await activateModel(await db(), id);
      if (!a.ok) throw new UsageError(`no model ${id}`);
      print(`activated ${id} (${a.model.sensorGroup} v${a.model.version})${a.previous ? `, was ${a.previous}` : ''}`);
    });

  program
    .command('train')
    .description('train on the last window of stored flows, judge the candidate with the retraining guard, store it, and activate it if it passed')
    .option('--group <name>', 'sensor group', 'default')
    .option('--sensors <ids>', 'comma-separated sensors whose flows are read (default: all)')
    .option('--window-s <s>', 'training window, seconds of packet time ending at the newest stored flow', '86400')
    .option('--guard-window-s <s>', 'the guard judges the candidate on the flows of the last this many seconds', '3600')
    .option('--max-flagged <f>', 'largest share of those flows the candidate may flag', '0.05')
    .option('--min-flows <n>', 'fewer flows in the window: no model', '1000')
    .option('--contamination <c>', "'auto' or (0, 0.5]", '0.01')
    .option('--max-rows <n>', 'most stored flows read (thinned deterministically above it)', '100000')
    .option('--no-activate', 'store a passing candidate without activating it')
    .action(async (o: Record<string, string | boolean>) => {
      const cfg = DetectorConfig.pick({
        retrainWindowS: true, retrainGuardWindowS: true, retrainMaxFlagged: true, retrainMinFlows: true, retrainMaxRows: true, retrainSensors: true, retrainContamination: true,
      }).safeParse({
        retrainWindowS: number('--window-s', o.windowS as string, 1, 90 * 86400),
        retrainGuardWindowS: number('--guard-window-s', o.guardWindowS as string, 1, 90 * 86400),
        retrainMaxFlagged: number('--max-flagged', o.maxFlagged as string, 0, 1),
        retrainMinFlows: number('--min-flows', o.minFlows as string, 16, 10_000_000),
        retrainSensors: typeof o.sensors === 'string' ? o.sensors.split(',').map((x) => x.trim()).filter(Boolean) : undefined,
        retrainMaxRows: number('--max-rows', o.maxRows as string, 16, 2_000_000),
        retrainContamination: o.contamination === 'auto' ? 'auto' : number('--contamination', o.contamination as string, 0, 0.5),
      });
      if (!cfg.success) throw new UsageError(cfg.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      const r = await retrainFromStore(await db(), { ...cfg.data, group: String(o.group), noActivate: o.activate === false });
      print(JSON.stringify(r));
      if (r.decision === 'refused') code = 1;
      if (r.decision === 'no_data') code = 2;
    });

  // The detector's scheduled run, in a process of its own: the detector's settings from the
  // environment (lock, recent-run check, train, guard, store, activate); prints the outcome.
  program
    .command('scheduled-run', { hidden: true })
    .action(async () => {
      const cfg = readDetectorConfig(io.env ?? process.env);
      if (!cfg.ok) throw new UsageError(cfg.message);
      ds = await openDataSource({ url: cfg.config.databaseUrl, poolSize: 2 });
      print(JSON.stringify(await new RetrainScheduler(cfg.config).runOnce(ds, false)));
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? 0 : 2;
    if (e instanceof UsageError) {
      err(`models: ${e.message}\n`);
      return 2;
    }
    err(`models: ${(e as Error).message}\n`);
    return 1;
  } finally {
    await (ds as DataSource | null)?.destroy();
  }
}

if (require.main === module) {
  runModelsCli(process.argv.slice(2)).then(
    (c) => process.exit(c),
    (e: unknown) => {
      process.stderr.write(`models: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
