/**
 * The CLI's closed set of failures. Each has a stable code and the exit status it maps to:
 * 2 for usage and input errors (bad option, unreadable or non-capture file), 1 only for
 * `--fail-on` (alerts found), never thrown from the packet loop.
 */
export const enum ExitCode {
  Ok = 0,
  AlertsFound = 1,
  UsageOrInput = 2,
}

export type CliErrorCode =
  | 'CLI.USAGE'
  | 'CLI.INPUT_UNREADABLE'
  | 'CLI.NOT_A_CAPTURE'
  | 'CLI.BAD_MODEL'
  | 'CLI.BAD_RULES'
  | 'CLI.BAD_TRUTH'
  | 'CLI.OUTPUT'
  | 'CLI.CAPTURE_UNAVAILABLE';

/** An expected failure: printed as one line `netsentry: <message>` and mapped to an exit code. */
export class CliError extends Error {
  constructor(
    readonly code: CliErrorCode,
    message: string,
    readonly exitCode: ExitCode = ExitCode.UsageOrInput,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string): CliError {
  return new CliError('CLI.USAGE', message);
}
