import { join } from 'node:path';
import { AlertV1 } from '@netsentry/contracts';
import { haveSharedPcaps, itIf, SHARED_PCAPS } from '@netsentry/testing';
import { alertLines, runCapture } from './rules.harness';

const pcap = (f: string) => join(SHARED_PCAPS, f);
const needPcaps = itIf(haveSharedPcaps, 'shared captures (../shared/data/pcaps) not present');

/**
 * The DDoS alert keeps the peak of its flood: its packets/s over 10 s cover at least the SYNs
 * the syn_flood alert on the same victim counted in its peak 10 s window.
 */
function expectPeakAgrees(ddos: AlertV1, syn: AlertV1): void {
  const pps = ddos.evidence.find((e) => e.metric === 'packets_per_second')!;
  const syns = syn.evidence.find((e) => e.metric === 'syns_without_handshake')!;
  expect([pps.windowSeconds, syns.windowSeconds]).toEqual([10, 10]);
  expect(pps.value * 10).toBeGreaterThanOrEqual(syns.value);
  expect(ddos.summary).toContain(` received ${Math.round(pps.value)} packets/s over 10 s `);
}

/*
 * syn_flood, udp_flood and ddos on the StopDDoS captures (incoming direction only, victim
 * anonymised to 10.10.10.10). Each capture is run once and every alert it raises is checked.
 */
describe('flood rules on StopDDoS captures', () => {
  needPcaps('spoofed SYN flood: syn_flood and ddos on 10.10.10.10, nothing else', async () => {
    const r = await runCapture(pcap('stopddos/pkt.TCP.synflood.spoofed.pcap'));
    expect(alertLines(r.alerts)).toEqual(['ddos -> 10.10.10.10', 'syn_flood -> 10.10.10.10']);
    const syn = r.alerts.find((a) => a.type === 'syn_flood')!;
    expect(AlertV1.safeParse(syn).success).toBe(true);
    expect(syn.severity).toBe('high');
    expect(syn.evidence[0].metric).toBe('syns_without_handshake');
    expect(syn.evidence[0].value).toBeGreaterThan(20_000);
    expect(syn.sourceCount).toBeGreaterThan(10_000); // lower bound of 37 623 spoofed sources
    expect(syn.sources.length).toBe(100);
    const ddos = r.alerts.find((a) => a.type === 'ddos')!;
    expect(ddos.severity).toBe('critical');
    expect(ddos.evidence.map((e) => [e.metric, e.threshold])).toEqual([['packets_per_second', 100], ['distinct_sources', 20]]);
    expect(ddos.summary).toMatch(/from \d+ flooding sources/);
    expectPeakAgrees(ddos, syn);
    // Raised in the first second of the flood, not at the end of the capture.
    const firstSyn = r.events.find((e) => e.alert.type === 'syn_flood' && e.change === 'new')!;
    expect(firstSyn.alert.end - r.firstTs).toBeLessThanOrEqual(3);
  });

  needPcaps('DOMINATE SYN flood with ECN/CWR flags after 30 s of trickle: syn_flood and ddos', async () => {
    const r = await runCapture(pcap('stopddos/pkt.TCP.DOMINATE.syn.ecn.cwr.pcapng'));
    expect(alertLines(r.alerts)).toEqual(['ddos -> 10.10.10.10', 'syn_flood -> 10.10.10.10']);
    const syn = r.alerts.find((a) => a.type === 'syn_flood')!;
    expect(syn.summary).toMatch(/^10\.10\.10\.10 received \d+ TCP SYNs without a completed handshake within 10 s from \d+ sources to 1 port\.$/);
    // The DDoS alert shows the flood's peak (983/s), not the rate when it was raised (732/s).
    expectPeakAgrees(r.alerts.find((a) => a.type === 'ddos')!, syn);
  });

  needPcaps('SYN-ACK reflection: ddos only (SYN-ACKs are not SYNs, the UDP/ICMP share is too small)', async () => {
    const r = await runCapture(pcap('stopddos/amp.TCP.reflection.SYNACK.pcap'));
    expect(alertLines(r.alerts)).toEqual(['ddos -> 10.10.10.10']);
    expect(r.alerts[0].sourceCount).toBeGreaterThan(1000);
    // SYN-ACKs are not attack-like packets: every distinct sender counts.
    expect(r.alerts[0].summary).toMatch(/from \d+ distinct sources/);
  });

  needPcaps('SNMP amplification: udp_flood and ddos', async () => {
    const r = await runCapture(pcap('stopddos/amp.UDP.snmp.src161.pcapng'));
    expect(alertLines(r.alerts)).toEqual(['ddos -> 10.10.10.10', 'udp_flood -> 10.10.10.10']);
    const udp = r.alerts.find((a) => a.type === 'udp_flood')!;
    expect(udp.evidence[0].metric).toBe('udp_packets_per_second');
    expect(udp.evidence[0].value).toBeGreaterThanOrEqual(100);
    expect(udp.sources).toContain(udp.sources[0]);
  });

  needPcaps('DNS amplification with fragments: udp_flood and ddos; resolver answers are not a port scan', async () => {
    const r = await runCapture(pcap('stopddos/amp.dns.RRSIG.fragmented.pcap'));
    expect(alertLines(r.alerts)).toEqual(['ddos -> 10.10.10.10', 'udp_flood -> 10.10.10.10']);
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
