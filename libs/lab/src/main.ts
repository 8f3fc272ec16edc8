/**
 * The lab command line:
 *   npm run lab -- run <scenario.yaml> --out <dir> [--name <stem>]
 *   npm run lab -- validate <scenario.yaml>...
 *   npm run lab -- check <capture.pcap> <truth.json>
 *   npm run lab -- evaluate <truth.json> --alerts <file> [--anomalies <file>] [--flows <file>] [--json]
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { z } from 'zod';
import { AlertV1, AnomalyV1, FlowV1, parseValue } from '@netsentry/contracts';
import { evaluate, formatReport, loadTruth, reportJson } from '@netsentry/evaluation';
import { runScenario } from './runner';
import { loadScenario } from './scenario';
import { checkTruthAgainstCapture } from './windows';

const program = new Command('lab').description('NetSentry traffic lab: real, labelled captures from declarative scenarios');

program
  .command('run')
  .argument('<scenario>', 'scenario YAML file')
  .requiredOption('--out <dir>', 'output directory')
  .option('--name <stem>', 'write <stem>.pcap and <stem>.truth.json instead of capture.pcap and truth.json')
  .action(async (scenario: string, opts: { out: string; name?: string }) => {
    const r = await runScenario({ scenarioPath: scenario, outDir: opts.out, name: opts.name });
    if (!r.ok) {
      process.stderr.write(`lab: ${r.error.code}: ${r.error.message}\n`);
      process.exitCode = r.error.code === 'LAB.NOT_ROOT' ? 77 : 1;
      return;
    }
    for (const a of r.truth.attacks) process.stdout.write(`${a.id.padEnd(16)} ${a.type.padEnd(15)} ${a.start.toFixed(3)} .. ${a.end.toFixed(3)}  ${String(a.packets).padStart(7)} packets\n`);
  });

program
  .command('validate')
  .argument('<scenarios...>', 'scenario YAML files')
  .action((files: string[]) => {
    for (const f of files) {
      const r = loadScenario(f);
      if (r.ok) process.stdout.write(`${f}: ok (${r.scenario.name}, seed ${r.scenario.seed})\n`);
      else {
        process.stdout.write(`${f}: ${r.error.code}: ${r.error.message}\n`);
        process.exitCode = 1;
      }
    }
  });

program
  .command('check')
  .argument('<capture>', 'capture file')
  .argument('<truth>', 'truth file')
  .action(async (capture: string, truthPath: string) => {
    const t = loadTruth(truthPath);
    if (!t.ok) {
      process.stderr.write(`lab: ${t.code}: ${t.reason}\n`);
      process.exitCode = 1;
      return;
    }
    const c = await checkTruthAgainstCapture(capture, t.truth.attacks);
    if (!c.ok) {
      process.stderr.write(`lab: ${c.code}: ${c.reason}\n`);
      process.exitCode = 1;
      return;
    }
    for (const [id, n] of Object.entries(c.inside)) process.stdout.write(`${id}: ${n} packets in window\n`);
    for (const p of c.problems) process.stdout.write(`problem: ${p}\n`);
    process.stdout.write(c.problems.length ? 'truth does NOT hold\n' : 'truth holds\n');
    if (c.problems.length) process.exitCode = 1;
  });

/** Reads a JSON array or NDJSON file of records, each checked against the schema. */
function readRecords<S extends z.ZodType>(path: string, schema: S): { ok: true; values: Array<z.infer<S>> } | { ok: false; reason: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  let raws: unknown[];
  try {
    const trimmed = text.trimStart();
    raws = trimmed.startsWith('[') ? (JSON.parse(trimmed) as unknown[]) : trimmed.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);
  } catch (e) {
    return { ok: false, reason: `${path}: ${(e as Error).message}` };
  }
  const values: Array<z.infer<S>> = [];
  for (const [i, raw] of raws.entries()) {
    const r = parseValue(schema, raw);
    if (!r.ok) return { ok: false, reason: `${path}: record ${i}: ${r.reason}` };
    values.push(r.value);
  }
  return { ok: true, values };
}

const ScoredFlow = z.object({ flow: FlowV1, score: z.number().finite() });

program
  .command('evaluate')
  .description('score alerts, anomalies and flow scores against a truth file')
  .argument('<truth>', 'truth file')
  .option('--alerts <file>', 'AlertV1 records (JSON array or NDJSON)')
  .option('--anomalies <file>', 'AnomalyV1 records (JSON array or NDJSON)')
  .option('--flows <file>', '{ flow: FlowV1, score } records for every flow (JSON array or NDJSON)')
  .option('--json', 'print the report as JSON instead of a table')
  .action((truthPath: string, opts: { alerts?: string; anomalies?: string; flows?: string; json?: boolean }) => {
    const t = loadTruth(truthPath);
    if (!t.ok) return fail(`${t.code}: ${t.reason}`);
    const alerts = opts.alerts ? readRecords(opts.alerts, AlertV1) : { ok: true as const, values: [] };
    if (!alerts.ok) return fail(`INPUT.INVALID: ${alerts.reason}`);
    const anomalies = opts.anomalies ? readRecords(opts.anomalies, AnomalyV1) : undefined;
    if (anomalies && !anomalies.ok) return fail(`INPUT.INVALID: ${anomalies.reason}`);
    const flows = opts.flows ? readRecords(opts.flows, ScoredFlow) : undefined;
    if (flows && !flows.ok) return fail(`INPUT.INVALID: ${flows.reason}`);
    const report = evaluate({ truth: t.truth, alerts: alerts.values, anomalies: anomalies?.ok ? anomalies.values : undefined, scoredFlows: flows?.ok ? flows.values : undefined });
    process.stdout.write(opts.json ? reportJson(report) : formatReport(report));
  });

function fail(message: string): void {
  process.stderr.write(`lab: ${message}\n`);
  process.exitCode = 1;
}

void program.parseAsync(process.argv);
