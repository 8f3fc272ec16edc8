import { join } from 'node:path';
import { PacketRecord } from '@netsentry/packets';
import { FlowV1 } from '@netsentry/contracts';
import { haveSharedPcaps, itIf, SHARED_PCAPS } from '@netsentry/testing';
import { FlowTable } from './flow-table';
import { FEATURE_COUNT, FLOW_FEATURE_NAMES, stdOf } from './features';
import { fill, type PacketSpec } from './testing/packet-builder';
import { flowsOf } from './testing/flows-of';

const C = '192.0.2.1', S = '198.51.100.7';

function one(pkts: PacketSpec[]): FlowV1 {
  const flows: FlowV1[] = [];
  const t = new FlowTable({ sensor: 'feat' }, (f) => flows.push(f));
  const rec = new PacketRecord();
  for (const p of pkts) t.add(fill(rec, p));
  t.flush();
  expect(flows).toHaveLength(1);
  return flows[0];
}

/** Two-pass sample standard deviation, the reference for the one-pass sums. */
function std(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

describe('flow features', () => {
  // A TCP exchange with known sizes and times (seconds): fwd at 0, 0.002, 0.010, 3.010 (after a
  // 3 s pause), bwd at 0.001, 0.005, 0.011.
  const pkts: PacketSpec[] = [
    { t: 0, src: C, dst: S, sp: 5555, dp: 443, flags: 'S', window: 1000, ttl: 60 },
    { t: 0.001, src: S, dst: C, sp: 443, dp: 5555, flags: 'SA', window: 2000, ttl: 50 },
    { t: 0.002, src: C, dst: S, sp: 5555, dp: 443, flags: 'A' },
    { t: 0.005, src: S, dst: C, sp: 443, dp: 5555, flags: 'PA', pay: 300 },
    { t: 0.010, src: C, dst: S, sp: 5555, dp: 443, flags: 'PA', pay: 100 },
    { t: 0.011, src: S, dst: C, sp: 443, dp: 5555, flags: 'UA', pay: 1200 },
    { t: 3.010, src: C, dst: S, sp: 5555, dp: 443, flags: 'FA', pay: 50 },
  ];
  const f = one(pkts);
  const x = f.features;

  it('lists every feature once, in FLOW_FEATURE_NAMES order', () => {
    expect(Object.keys(x)).toEqual([...FLOW_FEATURE_NAMES]);
    expect(new Set(FLOW_FEATURE_NAMES).size).toBe(FLOW_FEATURE_NAMES.length);
    expect(FEATURE_COUNT).toBe(FLOW_FEATURE_NAMES.length);
  });

  it('counts, lengths and header bytes per direction', () => {
    expect([f.fwdPackets, f.bwdPackets]).toEqual([4, 3]);
    expect([x['Total Fwd Packet'], x['Total Bwd packets']]).toEqual([4, 3]);
    expect([x['Total Length of Fwd Packet'], x['Total Length of Bwd Packet']]).toEqual([150, 1500]);
    expect([x['Fwd Packet Length Min'], x['Fwd Packet Length Max'], x['Fwd Packet Length Mean']]).toEqual([0, 100, 37.5]);
    expect(x['Fwd Packet Length Std']).toBeCloseTo(std([0, 0, 100, 50]), 9);
    expect(x['Bwd Packet Length Std']).toBeCloseTo(std([0, 300, 1200]), 9);
    expect(x['Packet Length Std']).toBeCloseTo(std([0, 0, 0, 300, 100, 1200, 50]), 9);
    expect(x['Packet Length Variance']).toBeCloseTo(std([0, 0, 0, 300, 100, 1200, 50]) ** 2, 6);
    expect([x['Packet Length Min'], x['Packet Length Max']]).toEqual([0, 1200]);
    expect([x['Fwd Header Length'], x['Bwd Header Length']]).toEqual([80, 60]);
    expect([x['Fwd Payloadless Packets'], x['Bwd Payloadless Packets']]).toEqual([2, 1]);
    expect(x['Fwd Act Data Pkts']).toBe(2);
    expect([x['Fwd Bytes'], x['Bwd Bytes']]).toEqual([f.fwdBytes, f.bwdBytes]);
    expect(f.fwdBytes).toBe(4 * 54 + 150);
  });

  it('inter-arrival times in µs, per direction and overall', () => {
    const flowIat = [1000, 1000, 3000, 5000, 1000, 2_999_000];
    expect(x['Flow Duration']).toBe(3_010_000);
    expect(x['Flow IAT Mean']).toBeCloseTo(3_010_000 / 6, 6);
    expect(x['Flow IAT Std']).toBeCloseTo(std(flowIat), 6);
    expect([x['Flow IAT Min'], x['Flow IAT Max']]).toEqual([1000, 2_999_000]);
    expect([x['Fwd IAT Total'], x['Fwd IAT Min'], x['Fwd IAT Max']]).toEqual([3_010_000, 2000, 3_000_000]);
    expect(x['Fwd IAT Std']).toBeCloseTo(std([2000, 8000, 3_000_000]), 6);
    expect([x['Bwd IAT Total'], x['Bwd IAT Mean'], x['Bwd IAT Min'], x['Bwd IAT Max']]).toEqual([10_000, 5000, 4000, 6000]);
  });

  it('rates, flags, windows, TTLs, subflows and active/idle periods', () => {
    expect(x['Flow Packets/s']).toBeCloseTo(7 / 3.01, 9);
    expect(x['Flow Bytes/s']).toBeCloseTo(1650 / 3.01, 9);
    expect(x['Fwd Packets/s']).toBeCloseTo(4 / 3.01, 9);
    expect(x['Flow Wire Bytes/s']).toBeCloseTo((f.fwdBytes + f.bwdBytes) / 3.01, 9);
    expect([x['SYN Flag Count'], x['SYN-ACK Flag Count'], x['FIN Flag Count'], x['RST Flag Count']]).toEqual([2, 1, 1, 0]);
    expect([x['PSH Flag Count'], x['ACK Flag Count'], x['URG Flag Count']]).toEqual([2, 6, 1]);
    expect([x['Fwd PSH Flags'], x['Bwd PSH Flags'], x['Fwd URG Flags'], x['Bwd URG Flags']]).toEqual([1, 1, 0, 1]);
    expect([x['FWD Init Win Bytes'], x['Bwd Init Win Bytes'], x['Fwd Init TTL'], x['Bwd Init TTL']]).toEqual([1000, 2000, 60, 50]);
    expect(x['Down/Up Ratio']).toBeCloseTo(3 / 4, 12);
    // One gap > 1 s: two subflows. No gap > 5 s: one active period of 3.01 s, no idle.
    expect(x['Subflow Fwd Packets']).toBe(2);
    expect(x['Subflow Bwd Bytes']).toBe(750);
    expect([x['Active Mean'], x['Active Max'], x['Idle Mean']]).toEqual([3_010_000, 3_010_000, 0]);
    expect(f.state).toBe('established');
    expect(f.endReason).toBe('end_of_input'); // FIN from one side only: not closed
    expect(f.service).toBe('https');
  });

  it('active and idle periods split at gaps over 5 s; bulks need 4 payload packets one way', () => {
    const g = one([
      { t: 0, src: C, dst: S, sp: 1, dp: 9, proto: 17, pay: 10 },
      { t: 0.1, src: C, dst: S, sp: 1, dp: 9, proto: 17, pay: 20 },
      { t: 0.2, src: C, dst: S, sp: 1, dp: 9, proto: 17, pay: 30 },
      { t: 0.3, src: C, dst: S, sp: 1, dp: 9, proto: 17, pay: 40 },
      { t: 0.4, src: C, dst: S, sp: 1, dp: 9, proto: 17, pay: 50 },
      { t: 10.4, src: C, dst: S, sp: 1, dp: 9, proto: 17, pay: 5 },
      { t: 10.6, src: C, dst: S, sp: 1, dp: 9, proto: 17, pay: 5 },
    ]).features;
    expect([g['Active Min'], g['Active Max'], g['Active Mean']]).toEqual([200_000, 400_000, 300_000]);
    expect(g['Active Std']).toBeCloseTo(stdOf(2, 600_000, 400_000 ** 2 + 200_000 ** 2), 6);
    expect([g['Idle Mean'], g['Idle Max'], g['Idle Min']]).toEqual([10_000_000, 10_000_000, 10_000_000]);
    expect([g['Fwd Bytes/Bulk Avg'], g['Fwd Packet/Bulk Avg']]).toEqual([150, 5]);
    expect(g['Fwd Bulk Rate Avg']).toBeCloseTo(150 / 0.4, 9);
    expect(g['Bwd Bytes/Bulk Avg']).toBe(0);
  });

  itIf(haveSharedPcaps, 'shared captures missing')('zero-duration flow (dhcp-request-flood): finite, rates 0', async () => {
    const { flows } = await flowsOf(join(SHARED_PCAPS, 'suricata-verify/dhcp-request-flood.pcap'));
    expect(flows).toHaveLength(1);
    const d = flows[0];
    expect(d.fwdPackets + d.bwdPackets).toBe(10000);
    expect(d.features['Flow Duration']).toBe(0);
    for (const k of ['Flow Bytes/s', 'Flow Packets/s', 'Fwd Packets/s', 'Bwd Packets/s', 'Flow Wire Bytes/s', 'Flow IAT Mean', 'Flow IAT Std']) {
      expect(d.features[k]).toBe(0);
    }
    expect(d.service).toBe('dhcp');
    expect(FlowV1.safeParse(d).success).toBe(true);
  });

  itIf(haveSharedPcaps, 'shared captures missing')('every flow of every feature-rich capture validates as FlowV1', async () => {
    for (const name of ['zeek/http-bro.org.pcap', 'zeek/irc-dcc-send.pcapng', 'zeek/ftp-ipv6.pcap', 'stopddos/amp.dns.RRSIG.fragmented.pcap', 'zeek/pppoe-over-qinq.pcap']) {
      const { flows } = await flowsOf(join(SHARED_PCAPS, name));
      expect(flows.length).toBeGreaterThan(0);
      for (const f of flows) {
        const r = FlowV1.safeParse(f);
        if (!r.success) throw new Error(`${name}: ${JSON.stringify(r.error.issues)}`);
        expect(Object.keys(f.features)).toEqual([...FLOW_FEATURE_NAMES]);
      }
    }
  });

  itIf(haveSharedPcaps, 'shared captures missing')('the IRC DCC transfer: one large one-way bulk flow with sane statistics', async () => {
    const { flows } = await flowsOf(join(SHARED_PCAPS, 'zeek/irc-dcc-send.pcapng'));
    const dcc = flows.reduce((a, b) => (a.fwdBytes + a.bwdBytes > b.fwdBytes + b.bwdBytes ? a : b));
    // tshark: 10.0.0.7 sent 962 frames / 1383 kB to 10.0.0.22:43614's peer.
    const sent = dcc.srcIp === '10.0.0.7' ? dcc.features['Total Length of Fwd Packet'] : dcc.features['Total Length of Bwd Packet'];
    expect(sent).toBeGreaterThan(1_300_000);
    const bulk = dcc.srcIp === '10.0.0.7' ? dcc.features['Fwd Bytes/Bulk Avg'] : dcc.features['Bwd Bytes/Bulk Avg'];
    expect(bulk).toBeGreaterThan(100_000);
    expect(dcc.state).toBe('established');
  });
});
