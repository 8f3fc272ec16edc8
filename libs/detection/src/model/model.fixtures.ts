import type { FlowV1 } from '@netsentry/contracts';
import { FLOW_FEATURE_NAMES } from '@netsentry/flows';
import { Prng } from '../forest';

/**
 * Synthetic flows for unit tests of the model layer: every FLOW_FEATURE_NAMES feature derived
 * from a few latent quantities (packets, bytes per packet, duration), like web/DNS sessions.
 * Real-capture checks live in sklearn-real-flows.spec.ts; these only exercise the mechanics.
 */
export function syntheticFlows(n: number, seed: number, kind: 'normal' | 'scan' | 'exfil' = 'normal', startAt = 1_700_000_000): FlowV1[] {
  const rng = new Prng(seed);
  const out: FlowV1[] = [];
  for (let i = 0; i < n; i++) {
    let fwdPk: number, bwdPk: number, size: number, dur: number;
    let state: FlowV1['state'] = 'established';
    let service = rng.nextFloat() < 0.7 ? 'https' : 'dns';
    let proto = service === 'dns' ? 17 : 6;
    let dstPort = service === 'dns' ? 53 : 443;
    // roughly normal(0, 1): sum of three uniforms, rescaled
    const gauss = (): number => (rng.nextFloat() + rng.nextFloat() + rng.nextFloat() - 1.5) * 2;
    if (kind === 'normal') {
      fwdPk = Math.max(2, Math.round(Math.exp(2 + 0.5 * gauss())));
      bwdPk = Math.max(2, Math.round(fwdPk * (1.2 + 0.2 * gauss())));
      size = 500 + 100 * gauss();
      dur = Math.exp(0.5 * gauss());
      if (proto === 17) state = 'two_way';
    } else if (kind === 'scan') {
      fwdPk = 1;
      bwdPk = 0;
      size = 60;
      dur = 0;
      state = 'half_open';
      service = 'other';
      proto = 6;
      dstPort = 1 + rng.nextInt(1000);
    } else {
      fwdPk = 20000 + rng.nextInt(5000);
      bwdPk = 10;
      size = 1400;
      dur = 30 + rng.nextFloat() * 10;
    }
    const features: Record<string, number> = {};
    for (const [j, name] of FLOW_FEATURE_NAMES.entries()) {
      // a deterministic mix of the latent quantities, plus a little noise
      const noise = 0.5 + 0.1 * gauss();
      features[name] = j % 4 === 0 ? fwdPk * (1 + noise * 0.1) : j % 4 === 1 ? bwdPk * size : j % 4 === 2 ? dur * 1e6 : noise;
    }
    features['Protocol'] = proto;
    features['Total Fwd Packet'] = fwdPk;
    features['Total Bwd packets'] = bwdPk;
    features['Flow Duration'] = dur * 1e6;
    const start = startAt + i;
    out.push({
      id: `${kind}-${seed}-${i}`,
      sensor: 'test',
      proto,
      srcIp: `10.0.${(i >> 8) & 255}.${i & 255}`,
      srcPort: 40000 + (i % 20000),
      dstIp: '192.0.2.10',
      dstPort,
      vlan: 0,
      vlanInner: 0,
      start,
      end: start + dur,
      endReason: 'fin',
      state,
      service,
      fwdPackets: fwdPk,
      bwdPackets: bwdPk,
      fwdBytes: Math.round(fwdPk * size),
      bwdBytes: Math.round(bwdPk * size),
      features,
    });
  }
  return out;
}
