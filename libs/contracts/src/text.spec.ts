import type { z } from 'zod';
import { AlertV1 } from './alert.v1';
import { AnomalyV1 } from './anomaly.v1';
import { isStorableText, StorableText } from './common';
import { DeadLetterV1 } from './deadletter.v1';
import { decodeFlowBatch, encodeFlowBatches } from './flow-batch.v1';
import { FlowV1 } from './flow.v1';
import { parseJsonMessage } from './parse';
import { SensorHeartbeatV1 } from './sensor.v1';
import { StatsV1 } from './stats.v1';

// A NUL (U+0000) passes JSON and a plain z.string(), then PostgreSQL refuses the row ("invalid byte
// sequence for encoding UTF8: 0x00") on every redelivery. Every text field of every contract refuses it.

const pb = { packets: 1, bytes: 60 };
const protocols = { tcp: pb, udp: pb, icmp: pb, icmpv6: pb, arp: pb, other: pb };
const set = <T>(items: T[]) => ({ n: items.length, exact: true, k: 64, items, overflow: 0 });
const sampled = <T>(items: T[]) => ({ exact: true, k: 64, n: items.length, items });

const flow: FlowV1 = {
  id: 'f1', sensor: 's1', proto: 6, srcIp: '10.0.0.1', srcPort: 1000, dstIp: '10.0.0.2', dstPort: 80, vlan: 0, vlanInner: 0, start: 100, end: 101,
  endReason: 'fin', state: 'established', service: 'http', fwdPackets: 1, bwdPackets: 1, fwdBytes: 60, bwdBytes: 60, features: { duration: 1 },
};
const stats = (entity: StatsV1['entity']): StatsV1 => ({ sensor: 's1', instance: 'p0', start: 100, intervalS: 1, entity });

/** One valid example of every contract (each entity kind, every optional text field filled). */
const EXAMPLES: [string, z.ZodType, unknown][] = [
  ['FlowV1', FlowV1, flow],
  ['StatsV1 global', StatsV1, stats({ kind: 'global', packets: 1, bytes: 60, protocols, newFlows: 1, topSources: [{ ip: '10.0.0.1', ...pb }], topDestinations: [] })],
  ['StatsV1 source', StatsV1, stats({
    kind: 'source', ip: '10.0.0.1', packets: 1, bytes: 60, newFlows: 1, dstHosts: set(['10.0.0.2']), dstPorts: set([80]),
    hosts: sampled([{ ip: '10.0.0.2', packets: 1, bytes: 60, probes: 1, ports: set([80]), open: set([]), failed: 0 }]),
    services: sampled([{ proto: 6, port: 80, hosts: set(['10.0.0.2']) }]), arpTargets: set([]), arpReplies: set(['10.0.0.3']),
  })],
  ['StatsV1 destination', StatsV1, stats({
    kind: 'destination', ip: '10.0.0.2', packets: 1, bytes: 60, protocols, syns: 1, handshakes: 0, synPorts: set([80]), udpPorts: set([]),
    udpAnswers: 0, icmpAnswers: 0, attackers: sampled([{ ip: '10.0.0.1', packets: 1 }]), sources: set(['10.0.0.1']),
  })],
  ['SensorHeartbeatV1', SensorHeartbeatV1, {
    sensor: 's1', sentAt: 1, status: 'degraded', source: 'eth0', message: 'ring full', watermark: 1,
    counters: { packetsSeen: 0, kernelDropped: 0, malformed: 0, published: 0, publishErrors: 0, bufferDropped: 0 },
  }],
  ['AlertV1', AlertV1, {
    id: 'a1', type: 'port_scan', severity: 'high', sources: ['10.0.0.1'], targets: ['10.0.0.2'], start: 1, end: 2, summary: 'scan',
    evidence: [{ metric: 'distinct_dst_ports', value: 50, threshold: 20, op: '>=', windowSeconds: 60 }], rule: 'port_scan@1', sensor: 's1',
  }],
  ['AnomalyV1', AnomalyV1, {
    id: 'f1:m1', flowId: 'f1', sensor: 's1', proto: 6, srcIp: '10.0.0.1', srcPort: 1, dstIp: '10.0.0.2', dstPort: 2, start: 1, end: 2,
    score: 0.7, severity: 'medium', model: { id: 'm1', version: 1 }, topFeatures: [{ name: 'duration', value: 1, baseline: 0, contribution: 1 }],
  }],
  ['DeadLetterV1', DeadLetterV1, { topic: 't', partition: 0, offset: '1', code: 'X.Y', reason: 'r', consumer: 'c', at: 1, key: 'aw==', value: 'aw==' }],
];

/** Every string in `v` (values and record keys) as a path and a setter that puts `s` in its place. */
function textSlots(v: unknown, path: string[] = []): { path: string; put: (root: unknown, s: string) => unknown }[] {
  if (typeof v === 'string') return [{ path: path.join('.'), put: (root, s) => setAt(root, path, s) }];
  if (Array.isArray(v)) return v.flatMap((x, i) => textSlots(x, [...path, String(i)]));
  if (v === null || typeof v !== 'object') return [];
  const out: { path: string; put: (root: unknown, s: string) => unknown }[] = [];
  for (const [k, x] of Object.entries(v)) {
    out.push(...textSlots(x, [...path, k]));
    // Record keys are text too (FlowV1.features).
    out.push({ path: [...path, `{key ${k}}`].join('.'), put: (root, s) => renameAt(root, [...path, k], s) });
  }
  return out;
}
function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
function setAt(root: unknown, path: string[], s: string): unknown {
  const r = clone(root) as Record<string, unknown>;
  let o = r;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
  o[path[path.length - 1]] = s;
  return r;
}
function renameAt(root: unknown, path: string[], s: string): unknown {
  const r = clone(root) as Record<string, unknown>;
  let o = r;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
  const k = path[path.length - 1];
  const entries = Object.entries(o).map(([key, x]) => [key === k ? s + key : key, x]);
  for (const key of Object.keys(o)) delete o[key];
  Object.assign(o, Object.fromEntries(entries));
  return r;
}

describe('text without NUL', () => {
  it('isStorableText and StorableText refuse NUL anywhere, and take any other text', () => {
    for (const s of ['', 'http', 'ünï €', '\u0001\t\n', 'a'.repeat(5000)]) {
      expect(isStorableText(s)).toBe(true);
      expect(StorableText.safeParse(s).success).toBe(true);
    }
    for (const s of ['\u0000', 'ht\u0000tp', 'x\u0000']) {
      expect(isStorableText(s)).toBe(false);
      expect(StorableText.safeParse(s).success).toBe(false);
    }
  });

  it.each(EXAMPLES)('%s: the example is valid, and NUL in any of its strings or record keys is refused', (_name, schema, example) => {
    expect(schema.safeParse(example).success).toBe(true);
    const slots = textSlots(example).filter((t) => !t.path.endsWith('}') || t.path.includes('features'));
    expect(slots.length).toBeGreaterThan(0);
    const accepted = slots.filter((t) => schema.safeParse(t.put(example, 'x\u0000')).success).map((t) => t.path);
    expect(accepted).toEqual([]);
  });

  it('a Kafka message with NUL in a text field is a SCHEMA.INVALID value (then dead-lettered), not a row PostgreSQL refuses', () => {
    const r = parseJsonMessage(FlowV1, JSON.stringify({ ...flow, service: 'ht\u0000tp' }));
    expect(r).toMatchObject({ ok: false, code: 'SCHEMA.INVALID' });
    expect(!r.ok && r.reason).toMatch(/service: .*NUL/);
  });

  it('flow batches: the encoder sends a flow with NUL back as JSON, and the decoder refuses NUL in a service or feature name', () => {
    const { batches, rest } = encodeFlowBatches([flow, { ...flow, id: 'f2', service: 'ht\u0000tp' }]);
    expect(rest.map((f) => f.id)).toEqual(['f2']);
    expect(batches.length).toBe(1);
    expect(encodeFlowBatches([{ ...flow, features: { 'dur\u0000': 1 } }]).rest.length).toBe(1);
    // Same byte length as the valid name, so only the NUL is wrong.
    const [b] = encodeFlowBatches([{ ...flow, service: 'hxtp' }]).batches;
    const svc = Buffer.from(b);
    svc[svc.indexOf('hxtp') + 1] = 0;
    expect(decodeFlowBatch(svc)).toMatchObject({ ok: false, code: 'FLOWBATCH.INVALID', reason: 'service 0' });
    const [c] = encodeFlowBatches([{ ...flow, features: { dxration: 1 } }]).batches;
    const name = Buffer.from(c);
    name[name.indexOf('dxration') + 1] = 0;
    expect(decodeFlowBatch(name)).toMatchObject({ ok: false, code: 'FLOWBATCH.INVALID', reason: 'feature name 0' });
    expect(decodeFlowBatch(b).ok && decodeFlowBatch(c).ok).toBe(true);
  });
});
