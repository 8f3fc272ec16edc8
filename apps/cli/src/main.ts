import { run } from './cli';

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
