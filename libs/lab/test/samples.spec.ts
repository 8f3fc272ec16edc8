/**
 * The shipped samples (data/samples): each capture, its truth file and the scenario that made
 * it belong together, and the truth holds against the capture.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ALERT_TYPES } from '@netsentry/contracts';
import { loadTruth } from '@netsentry/evaluation';
import { checkTruthAgainstCapture } from '@netsentry/lab';

const ROOT = resolve(__dirname, '../../..');
const SAMPLES = resolve(ROOT, 'data/samples');
const NAMES = ['baseline', 'attacks', 'demo'] as const;

describe.each(NAMES)('sample %s', (name) => {
  const pcap = resolve(SAMPLES, `${name}.pcap`);
  const scenarioText = () => readFileSync(resolve(SAMPLES, `${name}.scenario.yaml`), 'utf8');
  const truth = () => {
    const t = loadTruth(resolve(SAMPLES, `${name}.truth.json`));
    if (!t.ok) throw new Error(`${t.code}: ${t.reason}`);
    return t.truth;
  };

  it('ships the capture (a few MB at most), its truth file and its scenario', () => {
    expect(existsSync(pcap)).toBe(true);
    expect(statSync(pcap).size).toBeLessThan(5 * 1024 * 1024);
    expect(scenarioText()).toBe(readFileSync(resolve(ROOT, 'lab/scenarios', `${name}.yaml`), 'utf8'));
    const t = truth();
    expect(t.scenario).toBe(name);
    expect(t.capture).toBe(`${name}.pcap`);
    expect(t.scenarioSha256).toBe(createHash('sha256').update(scenarioText()).digest('hex'));
    expect(t.captureEnd - t.captureStart).toBeGreaterThan(60);
  });

  it('its truth holds against the capture', async () => {
    const t = truth();
    const c = await checkTruthAgainstCapture(pcap, t.attacks);
    if (!c.ok) throw new Error(c.reason);
    expect(c.problems).toEqual([]);
  });
});

describe('sample contents', () => {
  const load = (n: string) => {
    const t = loadTruth(resolve(SAMPLES, `${n}.truth.json`));
    if (!t.ok) throw new Error(t.reason);
    return t.truth;
  };

  it('baseline is benign only', () => {
    const t = load('baseline');
    expect(t.attacks).toEqual([]);
    expect(t.hosts.every((h) => h.role === 'benign')).toBe(true);
    expect(t.steps?.failed).toBe(0);
  });

  it('attacks holds every attack type, one at a time', () => {
    const t = load('attacks');
    expect(new Set(t.attacks.map((a) => a.type))).toEqual(new Set(ALERT_TYPES));
    const byStart = [...t.attacks].sort((a, b) => a.start - b.start);
    for (let i = 1; i < byStart.length; i++) expect(byStart[i].start).toBeGreaterThan(byStart[i - 1].end);
    expect(t.attacks.find((a) => a.type === 'ddos')!.sources.length).toBeGreaterThanOrEqual(3);
    expect(t.attacks.filter((a) => a.type === 'port_scan')).toHaveLength(2);
  });

  it('demo mixes attacks into benign traffic', () => {
    const t = load('demo');
    expect(t.attacks.length).toBeGreaterThanOrEqual(4);
    expect(t.benignHosts.length).toBeGreaterThanOrEqual(6);
    expect(t.attacks.every((a) => a.start > t.captureStart && a.end < t.captureEnd)).toBe(true);
  });
});
