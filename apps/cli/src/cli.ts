import { Command, CommanderError, Option } from 'commander';
import {
  defaultSensorId, loadModelFile, loadRules, parseContamination, parseFraction, parseInteger,
  parsePositiveNumber, parseSensor, parseSeverity,
} from './config';
import { CliError, ExitCode, usageError } from './errors';
import { checkCaptureFile } from './inputs';

// Each command's module is loaded when that command runs (start-up is part of every run's time:
// `analyze` on two threads keeps the detection library and zod off the main thread).
const commands = {
  analyze: (): typeof import('./commands/analyze') => require('./commands/analyze'),
  capture: (): typeof import('./commands/capture') => require('./commands/capture'),
  eval: (): typeof import('./commands/eval') => require('./commands/eval'),
  flows: (): typeof import('./commands/flows') => require('./commands/flows'),
  hosts: (): typeof import('./commands/hosts') => require('./commands/hosts'),
  train: (): typeof import('./commands/train') => require('./commands/train'),
};

/**
 * The `netsentry` command line: every command, its options and examples. `run(argv)`
 * resolves to the exit code (0 done, 1 alerts at or above --fail-on, 2 usage or input
 * error) and never calls process.exit itself, so tests can run it in-process.
 */
export const VERSION = '0.1.0';

/**
 * Largest `train` options: libs/detection's TRAIN_LIMITS, which trainModel enforces (written out,
 * not imported, so that start-up does not load the library; test/eval.spec.ts checks they agree).
 */
export const TRAIN_MAX = { trees: 10_000, maxSamples: 2 ** 20, seed: 2 ** 32 - 1 } as const;

function integerIn(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw usageError(`${name}: '${v}' is not an integer in [${min}, ${max}]`);
  return n;
}

const MAIN_EXAMPLES = `
Examples:
  $ netsentry analyze data/samples/demo.pcap --out report/        summary + report.html, flows/alerts/anomalies CSV
  $ netsentry analyze -i eth0 --bpf 'not port 22' --duration 60   live: alerts print as they happen
  $ netsentry train data/samples/baseline.pcap -o model.json       learn normal traffic
  $ netsentry detect suspect.pcap --model model.json --fail-on high  exit 1 when a high/critical alert is found
  $ netsentry flows capture.pcap -o flows.csv --features cic       CICFlowMeter-compatible flow table
  $ netsentry hosts capture.pcap                                    which machine is behaving oddly?
  $ netsentry capture -i eth0 -c 1000 -w out.pcap                  capture to a file (root or CAP_NET_RAW)
  $ netsentry eval data/samples/attacks.pcap --truth data/samples/attacks.truth.json

Exit status: 0 done; 1 alerts at or above --fail-on were found; 2 usage or input error.
Run 'netsentry <command> --help' for the options of a command.`;

type Writer = (s: string) => void;

export interface RunIO {
  out?: Writer;
  err?: Writer;
}

interface CommonOpts {
  quiet?: boolean;
  sensor?: string;
}

export function buildProgram(io: RunIO, setCode: (c: number) => void): Command {
  const out = io.out ?? ((s: string) => process.stdout.write(s));
  const err = io.err ?? ((s: string) => process.stderr.write(s));
  const print = (s: string): void => out(s + '\n');
  const note = (s: string): void => err(s + '\n');
  const program = new Command('netsentry')
    .description('NetSentry: find attacks and anomalies in packet captures and live traffic (the whole pipeline in one process).')
    .version(VERSION, '-V, --version')
    .configureOutput({ writeOut: out, writeErr: err, outputError: (s, write) => write(`netsentry: ${s.replace(/^error: /, '')}`) })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', MAIN_EXAMPLES);

  const common = (cmd: Command): Command =>
    cmd
      .option('-q, --quiet', 'no progress or notes on stderr')
      .option('--sensor <id>', 'sensor id carried by flows, alerts and anomalies (default: host name, as the sensor service)')
      .exitOverride()
      .configureOutput({ writeOut: out, writeErr: err, outputError: (s, write) => write(`netsentry: ${s.replace(/^error: /, '')}`) });
  const sensorOf = (o: CommonOpts): string => (o.sensor ? parseSensor(o.sensor) : defaultSensorId());

  const analyzeLike = (name: 'analyze' | 'detect'): Command => {
    const cmd = common(program.command(name));
    if (name === 'analyze')
      cmd
        .description('decode captures (or a live interface), build flows, score them with a model and run the attack rules; print a summary and write reports')
        .argument('[captures...]', 'pcap, pcapng or .pcap.gz files, read in order as one stream')
        .option('-i, --interface <iface>', 'analyse live traffic on this interface instead of files (root or CAP_NET_RAW)')
        .option('--bpf <filter>', 'BPF capture filter for -i (pcap-filter syntax)')
        .option('--duration <seconds>', 'with -i: stop after this many seconds (default: until Ctrl-C)')
        .option('--model <model.json>', 'Isolation Forest model from `netsentry train` (default: train on the first part of the input)');
    else
      cmd
        .description('score a suspect capture with a model trained on normal traffic (train-on-normal, detect-on-suspect)')
        .argument('<capture>', 'capture file to examine')
        .requiredOption('--model <model.json>', 'model from `netsentry train`');
    cmd
      .option('--out <dir>', 'write summary.json, flows.csv, alerts.csv, anomalies.csv and report.html here')
      .option('--rules <rules.yaml>', 'rule thresholds and allow lists (default: the built-in defaults, see config/rules.yaml)')
      .addOption(new Option('--format <format>', 'summary on stdout').choices(['table', 'json']).default('table'))
      .addOption(new Option('--fail-on <severity>', 'exit 1 when an alert of this severity or higher is found').choices(['low', 'medium', 'high', 'critical']));
    // Training options only where a model may be trained (detect requires --model); detect keeps their defaults.
    if (name === 'analyze')
      cmd
        .option('--contamination <x>', "without --model: expected share of anomalies for the trained model ('auto' or 0..0.5)", 'auto')
        .option('--seed <n>', `without --model: random seed of the trained model, 0..${TRAIN_MAX.seed}`, '1')
        .option('--train-fraction <f>', 'without --model: share of the input (bytes; of --duration live) to train on', '0.3');
    cmd
      .option('--idle-timeout <seconds>', 'flow idle timeout', '120')
      .option('--active-timeout <seconds>', 'flow active timeout (long flows are exported and continue as a new record)', '1800')
      .addOption(
        new Option('--threads <n>', 'capture files: 2 runs statistics, rules and the model in a second thread (same outputs); auto: 2 for inputs of 1.5 GiB or more when a second core is mostly idle')
          .choices(['1', '2', 'auto'])
          .default('auto'),
      );
    cmd.addHelpText(
      'after',
      name === 'analyze'
        ? `
Examples:
  $ netsentry analyze data/samples/demo.pcap
  $ netsentry analyze day1.pcap day2.pcap.gz --model model.json --out out/ --fail-on high
  $ netsentry analyze capture.pcapng --format json > summary.json
  $ sudo netsentry analyze -i eth0 --bpf 'tcp or icmp' --duration 300 --out live/

Without --model, a model is trained on the flows of the first 30% of the input (--train-fraction)
and the run says how many flows it used. A capture damaged part-way is analysed up to the damage,
with a warning naming the byte offset. Live: flows also expire on the wall clock, so an idle
interface still ends them on time; alerts are printed as they are raised.`
        : `
Examples:
  $ netsentry train baseline.pcap -o model.json
  $ netsentry detect suspect.pcap --model model.json --out findings/ --fail-on medium`,
    );
    cmd.action(async (captures: string | string[], opts: Record<string, string | boolean | undefined> & CommonOpts) => {
      const files = Array.isArray(captures) ? captures : captures ? [captures] : [];
      const iface = opts.interface as string | undefined;
      if (iface && files.length) throw usageError('give capture files or -i INTERFACE, not both');
      if (!iface && files.length === 0) throw usageError(`${name}: no capture file given (or use -i INTERFACE)`);
      if (!iface && (opts.bpf || opts.duration)) throw usageError('--bpf and --duration apply to live capture (-i) only');
      files.forEach(checkCaptureFile); // input errors first, before rules and model are read
      const res = await commands.analyze().runAnalyze({
        command: name,
        files,
        iface,
        bpf: opts.bpf as string | undefined,
        durationS: opts.duration ? parsePositiveNumber('--duration', opts.duration as string) : undefined,
        sensor: sensorOf(opts),
        // The built-in defaults are loaded where the rules run (the worker, with two threads).
        rules: opts.rules ? loadRules(opts.rules as string) : undefined,
        model: opts.model ? loadModelFile(opts.model as string) : undefined,
        contamination: parseContamination((opts.contamination as string | undefined) ?? 'auto'),
        seed: integerIn('--seed', (opts.seed as string | undefined) ?? '1', 0, TRAIN_MAX.seed),
        trainFraction: parseFraction('--train-fraction', (opts.trainFraction as string | undefined) ?? '0.3'),
        flowTable: {
          idleTimeoutS: parsePositiveNumber('--idle-timeout', opts.idleTimeout as string),
          activeTimeoutS: parsePositiveNumber('--active-timeout', opts.activeTimeout as string),
        },
        out: opts.out as string | undefined,
        format: opts.format as 'table' | 'json',
        threads: opts.threads === 'auto' ? 'auto' : opts.threads === '2',
        failOn: opts.failOn ? parseSeverity(opts.failOn as string) : undefined,
        quiet: opts.quiet,
        print,
        note: opts.quiet ? () => undefined : note,
      });
      setCode(res.exitCode);
    });
    return cmd;
  };
  analyzeLike('analyze');

  common(program.command('train'))
    .description('train an Isolation Forest on baseline (normal) captures and write the model')
    .argument('<captures...>', 'baseline captures: normal traffic of the network to protect')
    .requiredOption('-o, --out <model.json>', 'where to write the model')
    .option('--contamination <x>', "expected share of anomalies: 'auto' (score offset 0.5, as scikit-learn) or 0..0.5", 'auto')
    .option('--seed <n>', `random seed, 0..${TRAIN_MAX.seed}: the same seed and input give the same model`, '1')
    .option('--trees <n>', `number of trees, 1..${TRAIN_MAX.trees}`, '100')
    .option('--max-samples <n>', `rows per tree subsample, 2..${TRAIN_MAX.maxSamples}`, '256')
    .addHelpText('after', `
Examples:
  $ netsentry train data/samples/baseline.pcap -o model.json
  $ netsentry train mon.pcap tue.pcap --contamination 0.01 --seed 7 -o model.json`)
    .action(async (captures: string[], opts: Record<string, string> & CommonOpts) => {
      await commands.train().runTrain({
        files: captures,
        out: opts.out,
        sensor: sensorOf(opts),
        contamination: parseContamination(opts.contamination),
        seed: integerIn('--seed', opts.seed, 0, TRAIN_MAX.seed),
        nEstimators: integerIn('--trees', opts.trees, 1, TRAIN_MAX.trees),
        maxSamples: integerIn('--max-samples', opts.maxSamples, 2, TRAIN_MAX.maxSamples),
        quiet: opts.quiet as unknown as boolean,
        print: opts.quiet ? () => undefined : print,
      });
    });

  analyzeLike('detect');

  common(program.command('flows'))
    .description('flow meter: one row per bidirectional flow with every feature')
    .argument('<captures...>', 'capture files')
    .option('-o, --out <file>', 'output file (.csv or .jsonl; default: CSV on stdout)')
    .addOption(new Option('--features <set>', "column set: native, or cic (CICFlowMeter's CSV names and order)").choices(['native', 'cic']).default('native'))
    .addOption(new Option('--format <format>', 'output format (default: from the file extension, else csv)').choices(['csv', 'jsonl']))
    .addHelpText('after', `
Examples:
  $ netsentry flows capture.pcap -o flows.csv
  $ netsentry flows capture.pcap --features cic -o cic.csv     for models trained on CIC-IDS datasets
  $ netsentry flows capture.pcap --format jsonl | jq .state`)
    .action(async (captures: string[], opts: Record<string, string> & CommonOpts) => {
      await commands.flows().runFlows({
        files: captures,
        out: opts.out,
        format: opts.format as 'csv' | 'jsonl' | undefined,
        features: opts.features as 'native' | 'cic',
        sensor: sensorOf(opts),
        quiet: opts.quiet as unknown as boolean,
        note,
      });
    });

  common(program.command('hosts'))
    .description('per-host behaviour profiles with a host-level anomaly score (which machine is behaving oddly?)')
    .argument('<captures...>', 'capture files')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .option('-o, --out <file>', 'write to a file instead of stdout (json or csv)')
    .option('--top <n>', 'table: show the N most unusual hosts', '20')
    .addHelpText('after', `
Columns: unique destinations, unique destination and source ports, packets and bytes sent,
packets per destination, share of failed TCP connections, distinct sources seen, and a score
0..1 (robust deviation from the other hosts; 'why' names the features behind it).

Examples:
  $ netsentry hosts data/samples/attacks.pcap
  $ netsentry hosts capture.pcap --format csv -o hosts.csv`)
    .action(async (captures: string[], opts: Record<string, string> & CommonOpts) => {
      await commands.hosts().runHosts({
        files: captures,
        sensor: sensorOf(opts),
        format: opts.format as 'table' | 'json' | 'csv',
        out: opts.out,
        top: parseInteger('--top', opts.top, 1),
        quiet: opts.quiet as unknown as boolean,
        print,
      });
    });

  common(program.command('capture'))
    .description('capture packets from a live interface to a pcap file (root or CAP_NET_RAW)')
    .requiredOption('-i, --interface <iface>', 'interface to capture on')
    .option('-w, --write <file>', 'pcap file to write (default: one line per packet on stdout)')
    .option('-c, --count <n>', 'stop after N packets')
    .option('--bpf <filter>', 'BPF capture filter (pcap-filter syntax)')
    .option('--duration <seconds>', 'stop after this many seconds')
    .option('--snaplen <bytes>', 'bytes kept per packet', '65535')
    .addHelpText('after', `
Examples:
  $ sudo netsentry capture -i eth0 -c 1000 -w out.pcap
  $ sudo netsentry capture -i any --bpf 'icmp' --duration 10`)
    .action(async (opts: Record<string, string> & CommonOpts) => {
      await commands.capture().runCapture({
        iface: opts.interface,
        write: opts.write,
        count: opts.count !== undefined ? parseInteger('-c', opts.count, 1) : undefined,
        bpf: opts.bpf,
        durationS: opts.duration ? parsePositiveNumber('--duration', opts.duration) : undefined,
        snaplen: parseInteger('--snaplen', opts.snaplen, 64),
        quiet: opts.quiet as unknown as boolean,
        print,
        note: opts.quiet ? () => undefined : note,
      });
    });

  common(program.command('eval'))
    .description("analyse a lab capture and score the alerts and anomalies against its truth file (per-attack table)")
    .argument('<capture>', 'capture made by the lab')
    .requiredOption('--truth <truth.json>', "the lab's truth file for the capture")
    .option('--model <model.json>', 'model to score flows with (default: train on the first part of the input)')
    .option('--rules <rules.yaml>', 'rule thresholds')
    .addOption(new Option('--format <format>', 'output').choices(['table', 'json']).default('table'))
    .option('--out <dir>', 'also write the analyze outputs and eval.json here')
    .option('--train-fraction <f>', 'without --model: share of the input to train on', '0.3')
    .option('--seed <n>', `without --model: seed of the trained model, 0..${TRAIN_MAX.seed}`, '1')
    .addHelpText('after', `
Examples:
  $ netsentry eval data/samples/attacks.pcap --truth data/samples/attacks.truth.json
  $ netsentry eval lab-out/capture.pcap --truth lab-out/truth.json --model model.json --format json`)
    .action(async (capture: string, opts: Record<string, string> & CommonOpts) => {
      checkCaptureFile(capture);
      const code = await commands.eval().runEval({
        capture,
        truth: opts.truth,
        sensor: sensorOf(opts),
        rules: loadRules(opts.rules),
        model: opts.model ? loadModelFile(opts.model) : undefined,
        trainFraction: parseFraction('--train-fraction', opts.trainFraction),
        seed: integerIn('--seed', opts.seed, 0, TRAIN_MAX.seed),
        format: opts.format as 'table' | 'json',
        out: opts.out,
        quiet: opts.quiet as unknown as boolean,
        print,
        note: opts.quiet ? () => undefined : note,
      });
      setCode(code);
    });

  return program;
}

/** Runs the CLI on `argv` (without node and script) and resolves to the exit code. */
export async function run(argv: string[], io: RunIO = {}): Promise<number> {
  let code: number = ExitCode.Ok;
  const err = io.err ?? ((s: string) => process.stderr.write(s));
  const program = buildProgram(io, (c) => (code = c));
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return ExitCode.UsageOrInput;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return ExitCode.Ok;
      return ExitCode.UsageOrInput; // commander already printed the message
    }
    if (e instanceof CliError) {
      err(`netsentry: ${e.message}\n`);
      return e.exitCode;
    }
    err(`netsentry: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 70; // EX_SOFTWARE: a bug, not an input problem
  }
}
