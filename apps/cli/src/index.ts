// Public API of the CLI project (for the services' equivalence test and for embedding).
export { run, buildProgram, VERSION } from './cli';
export { Pipeline, MIN_TRAIN_FLOWS, type PipelineOptions, type AutoTrainOptions, type TrainedInfo } from './pipeline';
export { runAnalyze, type AnalyzeOptions, type AnalyzeResult } from './commands/analyze';
export { HostProfiler, scoreHosts, type HostProfile } from './hosts';
export type { RunSummary, ReportData } from './analysis';
export { renderReport } from './output/report';
export { ExitCode, CliError } from './errors';
