import { run } from './cli';

// A reader that stops early (`netsentry analyze x.pcap --out dir | head`) closes the pipe: the run
// goes on (its output files are still written) and its further lines are dropped.
let stdoutClosed = false;
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') stdoutClosed = true;
  if (stdoutClosed) return;
  process.stderr.write(`netsentry: cannot write to standard output: ${e.message}\n`);
  process.exitCode = 74;
});

// Entry point of `netsentry` (bin/netsentry.js registers the TypeScript loader first).
// stdout/stderr are drained before exit so piped output is never cut short.
run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`netsentry: internal error: ${String((e as Error)?.stack ?? e)}\n`);
    process.exitCode = 70;
  },
);
