import { AnomalyV1 } from './anomaly.v1';

const valid: AnomalyV1 = {
  id: 'f0a1b2c3:model-7',
  flowId: 'f0a1b2c3',
  sensor: 'sensor-a',
  proto: 6,
  srcIp: '10.0.0.5',
  srcPort: 51234,
  dstIp: '192.168.1.10',
  dstPort: 22,
  start: 1700000000.000001,
  end: 1700000300.5,
  score: 0.71,
  severity: 'medium',
  model: { id: 'model-7', version: 3 },
  topFeatures: [
    { name: 'duration', value: 300.5, baseline: 1.2, contribution: 0.55 },
    { name: 'fwd_bytes', value: 9e6, baseline: 4000, contribution: 0.3 },
  ],
};

type Bad = [string, (a: Record<string, unknown>) => void, string];
const BAD: Bad[] = [
  ['a score above 1', (a) => (a.score = 1.2), 'score'],
  ['a negative score', (a) => (a.score = -0.1), 'score'],
  ['a port above 65535', (a) => (a.dstPort = 70000), 'dstPort'],
  ['a protocol above 255', (a) => (a.proto = 300), 'proto'],
  ['a source that is not an IP', (a) => (a.srcIp = '10.0.0'), 'srcIp'],
  ['a model without a version', (a) => (a.model = { id: 'm' }), 'model.version'],
  ['a contribution above 1', (a) => ((a.topFeatures as { contribution: number }[])[0].contribution = 2), 'topFeatures.0.contribution'],
  ['a top feature without a name', (a) => ((a.topFeatures as { name: string }[])[0].name = ''), 'topFeatures.0.name'],
  ['33 top features', (a) => (a.topFeatures = Array.from({ length: 33 }, () => valid.topFeatures[0])), 'topFeatures'],
  ['a missing flow id', (a) => delete a.flowId, 'flowId'],
  ['an unknown severity', (a) => (a.severity = 'info'), 'severity'],
];

describe('AnomalyV1', () => {
  it('accepts a valid anomaly unchanged', () => {
    expect(AnomalyV1.parse(valid)).toEqual(valid);
    expect(AnomalyV1.safeParse({ ...valid, topFeatures: [] }).success).toBe(true);
  });

  it.each(BAD)('rejects %s', (_name, mutate, path) => {
    const bad = structuredClone(valid) as unknown as Record<string, unknown>;
    mutate(bad);
    const r = AnomalyV1.safeParse(bad);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
