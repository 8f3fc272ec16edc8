import { AlertV1 } from './alert.v1';
import { ALERT_TYPES, SEVERITIES } from './common';
import { parseJsonMessage } from './parse';

const valid: AlertV1 = {
  id: 'port_scan:10.0.0.5:192.168.1.10:1700000000',
  type: 'port_scan',
  severity: 'high',
  sources: ['10.0.0.5'],
  targets: ['192.168.1.10', '2001:db8::10'],
  start: 1700000000.123456,
  end: 1700000042.5,
  summary: '10.0.0.5 probed 812 TCP ports on 192.168.1.10 within 60 s; 97% were refused.',
  evidence: [{ metric: 'distinct_dst_ports', value: 812, threshold: 20, op: '>=', windowSeconds: 60, baseline: 1 }],
  rule: 'port_scan@1',
  sensor: 'sensor-a',
};

type Bad = [string, (a: Record<string, unknown>) => void, string];
const BAD: Bad[] = [
  ['an unknown alert type', (a) => (a.type = 'worm'), 'type'],
  ['an unknown severity', (a) => (a.severity = 'urgent'), 'severity'],
  ['a source that is not an IP', (a) => (a.sources = ['evil.example.com']), 'sources.0'],
  ['a target with a port', (a) => (a.targets = ['192.168.1.10:80']), 'targets.0'],
  ['a negative start', (a) => (a.start = -1), 'start'],
  ['an end given as an ISO string', (a) => (a.end = '2023-11-14T22:13:20Z'), 'end'],
  ['an empty summary', (a) => (a.summary = ''), 'summary'],
  ['no evidence', (a) => (a.evidence = []), 'evidence'],
  ['evidence without a threshold', (a) => (a.evidence = [{ metric: 'x', value: 1, windowSeconds: 60 }]), 'evidence.0.threshold'],
  ['evidence with an infinite value', (a) => (a.evidence = [{ metric: 'x', value: Infinity, threshold: 1, windowSeconds: 1 }]), 'evidence.0.value'],
  ['a missing sensor', (a) => delete a.sensor, 'sensor'],
  ['a sensor id with spaces', (a) => (a.sensor = 'my sensor'), 'sensor'],
  ['a missing id', (a) => delete a.id, 'id'],
  ['a fractional source count', (a) => (a.sourceCount = 2.5), 'sourceCount'],
  ['an empty supersededBy', (a) => (a.supersededBy = ''), 'supersededBy'],
  ['a supersededBy longer than an id', (a) => (a.supersededBy = 'x'.repeat(129)), 'supersededBy'],
  ['an empty includes', (a) => (a.includes = []), 'includes'],
  ['an includes naming no alert type', (a) => (a.includes = ['syn_flood', 'smurf']), 'includes.1'],
];

describe('AlertV1', () => {
  it('accepts a valid alert unchanged, and every type and severity', () => {
    expect(AlertV1.parse(valid)).toEqual(valid);
    for (const type of ALERT_TYPES) for (const severity of SEVERITIES) expect(AlertV1.safeParse({ ...valid, type, severity }).success).toBe(true);
  });

  it('carries supersededBy when set, and reads alerts without it (older producers) unchanged', () => {
    const part = { ...valid, type: 'syn_flood' as const, supersededBy: 'ddos-347c1c57b8f719e5a1c3d2e4f6a7b8c9' };
    expect(AlertV1.parse(part)).toEqual(part);
    expect('supersededBy' in AlertV1.parse(valid)).toBe(false);
  });

  it('carries includes (the types an alert took in) when set, and reads alerts without it unchanged', () => {
    const ddos = { ...valid, type: 'ddos' as const, includes: ['syn_flood' as const, 'icmp_flood' as const] };
    expect(AlertV1.parse(ddos)).toEqual(ddos);
    expect('includes' in AlertV1.parse(valid)).toBe(false);
  });

  it('defaults the evidence comparison to >=', () => {
    const { op: _op, ...ev } = valid.evidence[0];
    expect(AlertV1.parse({ ...valid, evidence: [ev] }).evidence[0].op).toBe('>=');
  });

  it.each(BAD)('rejects %s', (_name, mutate, path) => {
    const bad = structuredClone(valid) as unknown as Record<string, unknown>;
    mutate(bad);
    const r = AlertV1.safeParse(bad);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('reads a Kafka message and reports a bad one as a value with a code', () => {
    expect(parseJsonMessage(AlertV1, Buffer.from(JSON.stringify(valid)))).toEqual({ ok: true, value: valid });
    const r = parseJsonMessage(AlertV1, JSON.stringify({ ...valid, severity: 'urgent' }));
    expect(r).toMatchObject({ ok: false, code: 'SCHEMA.INVALID' });
    expect(!r.ok && r.reason).toMatch(/^severity: /);
  });
});
