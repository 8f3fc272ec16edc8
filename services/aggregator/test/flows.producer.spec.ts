import { join } from 'node:path';
import { Partitioners } from 'kafkajs';
import { FlowV1, parseFlowsMessage } from '@netsentry/contracts';
import { FlowTable } from '@netsentry/flows';
import { readCaptureFile } from '@netsentry/packets';
import { haveSharedPcaps, itIf, SHARED_PCAPS } from '@netsentry/testing';
import { flowMessages, flowPartition } from '../src/flows.producer';

describe('flowMessages (flow batches per sensor and srcIp partition)', () => {
  it('puts a key where the producer default partitioner would', () => {
    const p = Partitioners.DefaultPartitioner();
    for (const parts of [1, 4, 7]) {
      const meta = Array.from({ length: parts }, (_, i) => ({ partitionId: i, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
      for (let i = 0; i < 300; i++) {
        const key = i % 2 ? `10.${i % 7}.${i % 13}.${i}` : `2001:db8::${i.toString(16)}`;
        expect(flowPartition(key, parts)).toBe(p({ topic: 't', partitionMetadata: meta, message: { key, value: null } }));
      }
    }
  });

  itIf(haveSharedPcaps, 'needs ../shared/data/pcaps')('real flows (IPv4 and IPv6) travel as batches: same flows, each in its srcIp partition, each valid FlowV1', async () => {
    const flows: FlowV1[] = [];
    const table = new FlowTable({ sensor: 'agg-test' }, (f) => flows.push(f));
    await readCaptureFile(join(SHARED_PCAPS, 'esnet-curated/masscan_tcp_0_1000_20190821.pcap'), (r) => void table.add(r));
    table.flush();
    const nV4 = flows.length;
    for (const f of ['zeek/ftp-ipv6.pcap', 'suricata-verify/vlan-ipv6-http.pcap', 'suricata-verify/ipv6-rsmurf6.pcap']) {
      const v6 = new FlowTable({ sensor: 'agg-test-6' }, (x) => flows.push(x));
      await readCaptureFile(join(SHARED_PCAPS, f), (r) => void v6.add(r));
      v6.flush();
    }
    expect(flows.slice(nV4).filter((f) => f.srcIp.includes(':')).length).toBeGreaterThan(5);
    const msgs = flowMessages(flows, 4);
    expect(msgs.length).toBeLessThan(flows.length / 50);
    const back: FlowV1[] = [];
    for (const m of msgs) {
      const r = parseFlowsMessage(m.value as Buffer);
      if (!r.ok) throw new Error(r.reason);
      for (const f of r.flows) {
        expect(m.partition).toBe(flowPartition(f.srcIp, 4));
        expect(FlowV1.safeParse(f).success).toBe(true);
        back.push(f);
      }
    }
    const byId = (a: FlowV1, b: FlowV1): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    expect(back.sort(byId)).toEqual([...flows].sort(byId));
  });
});
