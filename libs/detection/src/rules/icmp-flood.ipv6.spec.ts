import { join } from 'node:path';
import { AlertV1 } from '@netsentry/contracts';
import { haveSharedPcaps, itIf, SHARED_PCAPS } from '@netsentry/testing';
import { alertLines, runCapture } from './rules.harness';

const pcap = (f: string) => join(SHARED_PCAPS, f);
const needPcaps = itIf(haveSharedPcaps, 'shared captures (../shared/data/pcaps) not present');

describe('icmp_flood on IPv6 attack captures (THC-IPv6 via suricata-verify)', () => {
  needPcaps('denial6 test 5: ICMPv6 behind extension headers, one icmp_flood 2001:db8:1::2 -> 2001:db8:1::1', async () => {
    const r = await runCapture(pcap('suricata-verify/ipv6-denial6-5.pcap'));
    expect(alertLines(r.alerts)).toEqual(['icmp_flood -> 2001:db8:1::1']);
    const a = r.alerts[0];
    expect(AlertV1.safeParse(a).success).toBe(true);
    expect(a.sources).toEqual(['2001:db8:1::2']);
    expect(a.evidence[0].metric).toBe('icmp_packets_per_second');
    expect(a.evidence[0].value).toBeGreaterThan(5000);
    expect(r.events.find((e) => e.change === 'new')!.alert.end - r.firstTs).toBeLessThanOrEqual(5);
  });

  needPcaps('rsmurf6: 1 000 echo requests in 8 ms from and to ff02::1', async () => {
    const r = await runCapture(pcap('suricata-verify/ipv6-rsmurf6.pcap'));
    expect(alertLines(r.alerts)).toEqual(['icmp_flood -> ff02::1']);
    expect(r.alerts[0].sources).toEqual(['ff02::1']);
    expect(r.alerts[0].evidence[0].value).toBe(200); // 1000 packets over the 5 s window
  });

  needPcaps('quiet when the multicast group is allow-listed', async () => {
    const r = await runCapture(pcap('suricata-verify/ipv6-rsmurf6.pcap'), { config: { rules: { icmp_flood: { allowTargets: ['ff00::/8'] } } } });
    expect(r.alerts).toEqual([]);
  });
});
