/** Hand-made truth and alerts for the evaluation specs. */
import type { AlertV1, FlowV1 } from '@netsentry/contracts';
import type { TruthAttackV1, TruthV1 } from './truth';

export const T0 = 1_795_000_000;

export function attack(p: Partial<TruthAttackV1> & Pick<TruthAttackV1, 'id' | 'type' | 'sources' | 'targets' | 'start' | 'end'>): TruthAttackV1 {
  return { kind: p.type, packets: 10, bytes: 1000, ...p };
}

export function truthOf(attacks: TruthAttackV1[]): TruthV1 {
  return {
    version: 1,
    scenario: 'hand-made',
    seed: 1,
    capture: 'hand-made.pcap',
    captureStart: T0,
    captureEnd: T0 + 600,
    packets: 1000,
    subnet: '10.66.0.0/24',
    hosts: [],
    benignHosts: ['10.66.0.10', '10.66.0.21'],
    attacks,
  };
}

let n = 0;
export function alert(p: Partial<AlertV1> & Pick<AlertV1, 'type' | 'sources' | 'targets' | 'start' | 'end'>): AlertV1 {
  n++;
  return {
    id: p.id ?? `alert-${n}`,
    severity: 'high',
    summary: 'test alert',
    evidence: [{ metric: 'm', value: 1, threshold: 1, op: '>=', windowSeconds: 10 }],
    sensor: 'lab',
    ...p,
  };
}

export function flow(p: Pick<FlowV1, 'srcIp' | 'dstIp' | 'start' | 'end'> & Partial<FlowV1>): FlowV1 {
  n++;
  return {
    id: `flow-${n}`,
    sensor: 'lab',
    proto: 6,
    srcPort: 40000,
    dstPort: 80,
    vlan: 0,
    vlanInner: 0,
    endReason: 'idle',
    state: 'established',
    service: 'http',
    fwdPackets: 1,
    bwdPackets: 1,
    fwdBytes: 60,
    bwdBytes: 60,
    features: {},
    ...p,
  };
}
