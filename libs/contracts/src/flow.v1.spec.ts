import { FLOW_END_REASONS, FLOW_STATES, FlowV1 } from './flow.v1';

const valid: FlowV1 = {
  id: '9f1c0b7e2a',
  sensor: 'sensor-a',
  proto: 6,
  srcIp: '10.0.0.5',
  srcPort: 51234,
  dstIp: '2001:db8::10',
  dstPort: 443,
  vlan: 100,
  vlanInner: 0,
  start: 1700000000.123456,
  end: 1700000002.654321,
  endReason: 'fin',
  state: 'established',
  service: 'https',
  fwdPackets: 12,
  bwdPackets: 10,
  fwdBytes: 1840,
  bwdBytes: 15320,
  features: { duration: 2.530865, fwd_iat_mean: 0.21, syn_count: 1 },
};

type Bad = [string, (a: Record<string, unknown>) => void, string];
const BAD: Bad[] = [
  ['a VLAN id above 4095', (a) => (a.vlan = 4096), 'vlan'],
  ['a negative packet count', (a) => (a.fwdPackets = -1), 'fwdPackets'],
  ['a fractional byte count', (a) => (a.bwdBytes = 10.5), 'bwdBytes'],
  ['an unknown end reason', (a) => (a.endReason = 'timeout'), 'endReason'],
  ['an unknown state', (a) => (a.state = 'SF'), 'state'],
  ['a NaN feature', (a) => ((a.features as Record<string, number>).duration = NaN), 'features.duration'],
  ['a string feature', (a) => ((a.features as Record<string, unknown>).duration = '2.5'), 'features.duration'],
  ['a service name longer than 32', (a) => (a.service = 'x'.repeat(33)), 'service'],
  ['a source address with a prefix', (a) => (a.srcIp = '10.0.0.0/8'), 'srcIp'],
  ['a missing id', (a) => delete a.id, 'id'],
  ['missing features', (a) => delete a.features, 'features'],
];

describe('FlowV1', () => {
  it('accepts a valid flow unchanged, with every end reason and state', () => {
    expect(FlowV1.parse(valid)).toEqual(valid);
    for (const endReason of FLOW_END_REASONS) for (const state of FLOW_STATES) expect(FlowV1.safeParse({ ...valid, endReason, state }).success).toBe(true);
  });

  it.each(BAD)('rejects %s', (_name, mutate, path) => {
    const bad = structuredClone(valid) as unknown as Record<string, unknown>;
    mutate(bad);
    const r = FlowV1.safeParse(bad);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
