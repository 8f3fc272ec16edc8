/**
 * The lab command line:
 *   npm run lab -- run <scenario.yaml> --out <dir> [--name <stem>]
 *   npm run lab -- validate <scenario.yaml>...
 *   npm run lab -- check <capture.pcap> <truth.json>
 */
import { Command } from 'commander';
import { loadTruth } from '@netsentry/evaluation';
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
    if ('error' in c) {
      process.stderr.write(`lab: CAPTURE.READ: ${c.error}\n`);
      process.exitCode = 1;
      return;
    }
    for (const [id, n] of Object.entries(c.inside)) process.stdout.write(`${id}: ${n} packets in window\n`);
    for (const p of c.problems) process.stdout.write(`problem: ${p}\n`);
    process.stdout.write(c.problems.length ? 'truth does NOT hold\n' : 'truth holds\n');
    if (c.problems.length) process.exitCode = 1;
  });

void program.parseAsync(process.argv);
