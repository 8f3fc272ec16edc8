import { join } from 'node:path';
import { AlertV1 } from '@netsentry/contracts';
import { haveSharedPcaps, itIf, SHARED_PCAPS } from '@netsentry/testing';
import { alertLines, runCapture } from './rules.harness';

const pcap = (f: string) => join(SHARED_PCAPS, f);
const needPcaps = itIf(haveSharedPcaps, 'shared captures (../shared/data/pcaps) not present');

describe('host_sweep on real sweeps', () => {
  needPcaps.each([
    ['an ARP sweep (layer 2 only)', 'sgr-favilli/hs-arpScan.pcap', '10.0.0.128', 'distinct_hosts_arp', 255],
    ['an ICMP echo sweep', 'sgr-favilli/hs-icmpScan.pcap', '10.0.0.128', 'distinct_hosts_icmp_echo', 256],
    ['a TCP SYN ping sweep of port 80 in random order', 'sgr-favilli/hs-tcp_synPingSweepRand.pcapng', '10.0.0.128', 'distinct_hosts_tcp_80', 256],
    ['a slow UDP sweep of port 40125 (51 s)', 'sgr-favilli/hs-udpScan.pcap', '246.237.45.150', 'distinct_hosts_udp_40125', 96],
    ['nmap host discovery (ARP across a /24, then TCP to live hosts)', 'zeek/nmap-vsn.pcap', '192.168.1.71', 'distinct_hosts_arp', 245],
  ])('raises one host_sweep alert for %s', async (_name, file, scanner, metric, hosts) => {
    const r = await runCapture(pcap(file));
    expect(r.alerts.map((a) => `${a.type} ${a.sources.join(',')}`)).toEqual([`host_sweep ${scanner}`]);
    const a = r.alerts[0];
    expect(AlertV1.safeParse(a).success).toBe(true);
    expect(a.evidence[0]).toMatchObject({ metric, value: hosts, threshold: 20 });
    expect(a.targetCount ?? a.targets.length).toBe(hosts);
    expect(a.targets.length).toBe(Math.min(100, hosts)); // listed up to alerts.maxListed
    const prefix = scanner.split('.').slice(0, scanner.startsWith('246.') ? 2 : 3).join('.') + '.';
    expect(a.targets.every((t) => t.startsWith(prefix))).toBe(true);
    expect(a.summary).toMatch(new RegExp(`^${scanner.replace(/\./g, '\\.')} swept ${hosts} hosts within 60 s`));
    expect(new Set(r.events.map((e) => e.alert.id)).size).toBe(1);
  });

  needPcaps('does not count ARP when arp is off, and ignores allow-listed scanners', async () => {
    expect(alertLines((await runCapture(pcap('sgr-favilli/hs-arpScan.pcap'), { config: { rules: { host_sweep: { arp: false } } } })).alerts)).toEqual([]);
    expect(alertLines((await runCapture(pcap('sgr-favilli/hs-icmpScan.pcap'), { config: { rules: { host_sweep: { allowSources: ['10.0.0.128'] } } } })).alerts)).toEqual([]);
  });
});
