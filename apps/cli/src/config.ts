import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Severity } from '@netsentry/contracts';
import type { Model, RulesConfig } from '@netsentry/detection';
import { CliError, usageError } from './errors';

/**
 * Everything the CLI reads from files and option strings, validated once, failing with one clear line.
 * The detection library and the contracts (zod schemas, ~0.2 s to load) are required only by the
 * functions that need them: `analyze` on two threads loads them in its worker, not on the main thread.
 */
const detection = (): typeof import('@netsentry/detection') => require('@netsentry/detection');

/** The sensor id flows and alerts carry; like the sensor service, the host name unless configured. */
export function defaultSensorId(): string {
  const h = (process.env.NETSENTRY_SENSOR ?? hostname()).replace(/[^A-Za-z0-9._:-]/g, '-').slice(0, 128);
  return h || 'netsentry-cli';
}

export function parseSensor(v: string): string {
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(v)) throw usageError(`--sensor: '${v}' is not a valid sensor id (letters, digits, . _ : -)`);
  return v;
}

export function loadModelFile(path: string): Model {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError('CLI.BAD_MODEL', `${path}: cannot read model: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CliError('CLI.BAD_MODEL', `${path}: not a model file (invalid JSON: ${(e as Error).message})`);
  }
  const { Model, sameFeatureList } = detection();
  const { FLOW_FEATURE_NAMES } = require('@netsentry/flows') as typeof import('@netsentry/flows');
  const r = Model.parse(raw);
  if (!r.ok) throw new CliError('CLI.BAD_MODEL', `${path}: not a usable model (${r.code}: ${r.reason})`);
  if (!sameFeatureList(r.model.featureNames, FLOW_FEATURE_NAMES))
    throw new CliError(
      'CLI.BAD_MODEL',
      `${path}: model ${r.model.id} was trained on a different flow feature list than this version computes; retrain it with 'netsentry train'`,
    );
  return r.model;
}

export function loadRules(path?: string): RulesConfig {
  let text: string | undefined;
  if (path) {
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new CliError('CLI.BAD_RULES', `${path}: cannot read rules: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
  }
  try {
    return detection().loadRulesConfig(text);
  } catch (e) {
    throw new CliError('CLI.BAD_RULES', `${path ?? 'default rules'}: ${(e as Error).message}`);
  }
}

export function parseSeverity(v: string): Severity {
  const { Severity, SEVERITIES } = require('@netsentry/contracts') as typeof import('@netsentry/contracts');
  const r = Severity.safeParse(v.toLowerCase());
  if (!r.success) throw usageError(`--fail-on: '${v}' is not a severity (one of ${SEVERITIES.join(', ')})`);
  return r.data;
}

export function parsePositiveNumber(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw usageError(`${name}: '${v}' is not a positive number`);
  return n;
}

export function parseInteger(name: string, v: string, min = 0): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw usageError(`${name}: '${v}' is not an integer ≥ ${min}`);
  return n;
}

export function parseContamination(v: string): number | 'auto' {
  if (v === 'auto') return 'auto';
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 0.5) throw usageError(`--contamination: '${v}' must be 'auto' or a number in (0, 0.5]`);
  return n;
}

export function parseFraction(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw usageError(`${name}: '${v}' must be a number in (0, 1]`);
  return n;
}
