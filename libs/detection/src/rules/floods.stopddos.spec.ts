import { join } from 'node:path';
import { AlertV1 } from '@netsentry/contracts';
import { haveSharedPcaps, itIf, SHARED_PCAPS } from '@netsentry/testing';
import { alertLines, runCapture } from './rules.harness';

const pcap = (f: string) => join(SHARED_PCAPS, f);
const needPcaps = itIf(haveSharedPcaps, 'shared captures (../shared/data/pcaps) not present');

/**
 * One DDoS, one alert: the ddos alert takes in the flood rule's view of the same attack. Its
 * evidence carries the flood's peak figure after its own, its summary names the flood, and its
 * packets/s over 10 s cover at least the SYNs counted in the flood's peak 10 s window.
 */
function expectSynFloodInside(ddos: AlertV1): void {
  const pps = ddos.evidence.find((e) => e.metric === 'packets_per_second')!;
  const syns = ddos.evidence.find((e) => e.metric === 'syns_without_handshake')!;
  expect(ddos.evidence.map((e) => e.metric)).toEqual(['packets_per_second', 'distinct_sources', 'syns_without_handshake']);
  expect([pps.windowSeconds, syns.windowSeconds]).toEqual([10, 10]);
  expect(pps.value * 10).toBeGreaterThanOrEqual(syns.value);
  expect(ddos.summary).toContain(` received ${Math.round(pps.value)} packets/s over 10 s `);
  expect(ddos.summary).toContain(` Includes syn_flood: 10.10.10.10 received ${syns.value} TCP SYNs without a completed handshake within 10 s from `);
}

/*
 * syn_flood, udp_flood and ddos on the StopDDoS captures (incoming direction only, victim
 * anonymised to 10.10.10.10). Each capture is run once and every alert it raises is checked.
 * Each is one attack: one alert open at a time on the victim (the ddos alert takes in the
 * flood rules' findings; a flood alert raised before the ddos crossed is closed as part of it).
 */
describe('flood rules on StopDDoS captures', () => {
  needPcaps('spoofed SYN flood: one ddos alert on 10.10.10.10 carrying the SYN flood figures, nothing else', async () => {
    const r = await runCapture(pcap('stopddos/pkt.TCP.synflood.spoofed.pcap'));
    expect(alertLines(r.alerts)).toEqual(['ddos -> 10.10.10.10']);
    expect(r.events.map((e) => e.alert.type).filter((t) => t !== 'ddos')).toEqual([]);
    const ddos = r.alerts[0];
    expect(AlertV1.safeParse(ddos).success).toBe(true);
    expect(ddos.severity).toBe('critical');
    expect(ddos.rule).toBe('ddos@4');
    expect(ddos.supersededBy).toBeUndefined();
    expect(ddos.evidence.map((e) => [e.metric, e.threshold])).toEqual([['packets_per_second', 100], ['distinct_sources', 20], ['syns_without_handshake', 100]]);
    expect(ddos.evidence[2].value).toBeGreaterThan(20_000);
    expect(ddos.summary).toMatch(/from \d+ flooding sources/);
    expect(ddos.sourceCount).toBeGreaterThan(10_000); // lower bound of 37 623 spoofed sources
    expect(ddos.sources.length).toBe(100);
    expectSynFloodInside(ddos);
    // Raised in the first second of the flood, not at the end of the capture; the SYN tail
    // after the DDoS rate dropped (SYNs over 100 per 10 s) extends it instead of opening a syn_flood.
    const raised = r.events.find((e) => e.change === 'new')!;
    expect(raised.alert.end - r.firstTs).toBeLessThanOrEqual(3);
    expect(ddos.end - r.firstTs).toBeGreaterThan(20);
  });

  needPcaps('DOMINATE SYN flood with ECN/CWR flags after 30 s of trickle: one ddos alert with the SYN flood inside', async () => {
    const r = await runCapture(pcap('stopddos/pkt.TCP.DOMINATE.syn.ecn.cwr.pcapng'));
    expect(alertLines(r.alerts)).toEqual(['ddos -> 10.10.10.10']);
    // The DDoS alert shows the flood's peak (983/s), not the rate when it was raised (732/s).
    expect(r.alerts[0].evidence[0].value).toBeCloseTo(983.1, 1);
    expect(r.alerts[0].summary).toMatch(/ from \d+ sources to 1 port\.$/);
    expectSynFloodInside(r.alerts[0]);
  });

  needPcaps('SYN-ACK reflection: ddos only (SYN-ACKs are not SYNs, the UDP/ICMP share is too small)', async () => {
    const r = await runCapture(pcap('stopddos/amp.TCP.reflection.SYNACK.pcap'));
    expect(alertLines(r.alerts)).toEqual(['ddos -> 10.10.10.10']);
    expect(r.alerts[0].sourceCount).toBeGreaterThan(1000);
    // SYN-ACKs are not attack-like packets: every distinct sender counts.
    expect(r.alerts[0].summary).toMatch(/from \d+ distinct sources/);
    expect(r.alerts[0].evidence).toHaveLength(2);
  });

  needPcaps('SNMP amplification: one ddos alert carrying the UDP flood figures', async () => {
    const r = await runCapture(pcap('stopddos/amp.UDP.snmp.src161.pcapng'));
    expect(alertLines(r.alerts)).toEqual(['ddos -> 10.10.10.10']);
    const ddos = r.alerts[0];
    const udp = ddos.evidence.find((e) => e.metric === 'udp_packets_per_second')!;
    expect(udp.value).toBeGreaterThanOrEqual(100);
    expect(udp.windowSeconds).toBe(5);
    expect(ddos.summary).toContain(` Includes udp_flood: 10.10.10.10 received ${Math.round(udp.value)} UDP packets/s over 5 s `);
  });

  needPcaps('DNS amplification with fragments: the udp_flood raised 3 s before the ddos is closed as part of it; resolver answers are not a port scan', async () => {
    const r = await runCapture(pcap('stopddos/amp.dns.RRSIG.fragmented.pcap'));
    expect(alertLines(r.alerts)).toEqual(['ddos -> 10.10.10.10', 'udp_flood -> 10.10.10.10']);
    const ddos = r.alerts.find((a) => a.type === 'ddos')!;
    const udp = r.alerts.find((a) => a.type === 'udp_flood')!;
    expect(AlertV1.safeParse(udp).success).toBe(true);
    // The flood came first; its last version names the ddos alert, which carries its peak figure.
    const newOrder = r.events.filter((e) => e.change === 'new').map((e) => e.alert.type);
    expect(newOrder).toEqual(['udp_flood', 'ddos']);
    expect(udp.supersededBy).toBe(ddos.id);
    expect(ddos.supersededBy).toBeUndefined();
    expect(ddos.evidence.find((e) => e.metric === 'udp_packets_per_second')!.value).toBe(udp.evidence[0].value);
    expect(ddos.summary).toContain(` Includes udp_flood: ${udp.summary}`);
    // Nothing about the flood is sent after it became part of the ddos alert.
    const lastUdp = r.events.map((e) => e.alert.type).lastIndexOf('udp_flood');
    expect(r.events[lastUdp].alert.supersededBy).toBe(ddos.id);
    expect(ddos.end).toBeGreaterThanOrEqual(udp.end);
  });
});

describe('udp_flood on a DHCP request flood with zero duration (suricata-verify)', () => {
  needPcaps('10 000 packets with one timestamp: one udp_flood 0.0.0.0 -> 255.255.255.255, finite figures', async () => {
    const r = await runCapture(pcap('suricata-verify/dhcp-request-flood.pcap'));
    expect(alertLines(r.alerts)).toEqual(['udp_flood -> 255.255.255.255']);
    const a = r.alerts[0];
    expect(AlertV1.safeParse(a).success).toBe(true);
    expect(a.sources).toEqual(['0.0.0.0']);
    expect(a.evidence[0]).toMatchObject({ metric: 'udp_packets_per_second', value: 2000, threshold: 100, windowSeconds: 5 });
    expect(a.start).toBe(a.end - 1);
  });

  needPcaps('a UDP port scan (one packet per port) is not a UDP flood', async () => {
    const r = await runCapture(pcap('esnet-curated/masscan_udp_0_1000_20190821.pcap'));
    expect(r.alerts.map((a) => a.type)).toEqual(['port_scan']);
  });
});
