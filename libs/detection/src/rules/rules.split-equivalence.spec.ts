import { join } from 'node:path';
import { haveSharedPcaps, itIf, SHARED_PCAPS } from '@netsentry/testing';
import { runCapture } from './rules.harness';

const pcap = (f: string) => join(SHARED_PCAPS, f);
const needPcaps = itIf(haveSharedPcaps, 'shared captures (../shared/data/pcaps) not present');

/*
 * The design's equivalence requirement: the packets of a capture split by flowHash between two
 * aggregator instances (two StatsBuilders, two flow tables) give partial statistics that the
 * engine merges into exactly the alerts of one instance: same ids, same events, same figures,
 * whatever order the partials of an interval arrive in.
 */
describe('one aggregator or two (split by flowHash) give the same alerts', () => {
  needPcaps.each([
    ['masscan TCP port scan', ['esnet-curated/masscan_tcp_0_1000_20190821.pcap'], {}],
    ['TCP SYN ping sweep', ['sgr-favilli/hs-tcp_synPingSweepRand.pcapng'], {}],
    ['ARP sweep', ['sgr-favilli/hs-arpScan.pcap'], {}],
    ['DOMINATE SYN flood (ddos taking in the syn_flood)', ['stopddos/pkt.TCP.DOMINATE.syn.ecn.cwr.pcapng'], {}],
    ['SNMP amplification (ddos taking in the udp_flood)', ['stopddos/amp.UDP.snmp.src161.pcapng'], {}],
    ['DNS amplification (udp_flood closed as part of the ddos)', ['stopddos/amp.dns.RRSIG.fragmented.pcap'], {}],
    ['ICMPv6 flood', ['suricata-verify/ipv6-denial6-5.pcap'], {}],
    ['IRC DCC transfer with large_transfer at 1 MB', ['zeek/irc-dcc-send.pcapng'], { rules: { large_transfer: { minBytes: 1_000_000 } } }],
    ['nmap host discovery (ARP, then TCP and DNS)', ['zeek/nmap-vsn.pcap'], {}],
  ])('%s', async (_name, files, config) => {
    const paths = (files as string[]).map(pcap);
    const one = await runCapture(paths, { config });
    // Two instances, and the partials of each interval delivered in a shuffled order.
    const two = await runCapture(paths, { config, parts: 2, shuffleSeed: 12345 });
    // The split is real: both instances produced partials.
    expect(Object.keys(two.partialsByInstance).sort()).toEqual(['agg-0', 'agg-1']);
    expect(Math.min(...Object.values(two.partialsByInstance))).toBeGreaterThan(0);
    expect(one.events.length).toBeGreaterThan(0);
    expect(two.events).toEqual(one.events);
  });
});
