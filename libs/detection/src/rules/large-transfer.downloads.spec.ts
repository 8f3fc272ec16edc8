import { join } from 'node:path';
import { AlertV1 } from '@netsentry/contracts';
import { haveSharedPcaps, itIf, SHARED_PCAPS } from '@netsentry/testing';
import { alertLines, runCapture } from './rules.harness';

const pcap = (f: string) => join(SHARED_PCAPS, f);
const needPcaps = itIf(haveSharedPcaps, 'shared captures (../shared/data/pcaps) not present');

/*
 * The benign captures hold two real large transfers: the IRC DCC SEND of 1.4 MB and a 2.6 MB
 * HTTP download. They are under the default threshold (50 MB per 60 s), so the benign spec
 * sees no alert; with the threshold at 1 MB the rule reports exactly these transfers, in the
 * sending direction. (A 60 MB transfer at the default threshold: rules.netns-lab.spec.ts.)
 */
describe('large_transfer on real transfers in the benign captures', () => {
  const config = { rules: { large_transfer: { minBytes: 1_000_000 } } };

  needPcaps('IRC DCC SEND: 10.0.0.7 sends 1.38 MB to 10.0.0.22', async () => {
    const r = await runCapture(pcap('zeek/irc-dcc-send.pcapng'), { config });
    expect(alertLines(r.alerts)).toEqual(['large_transfer 10.0.0.7 -> 10.0.0.22']);
    const a = r.alerts[0];
    expect(AlertV1.safeParse(a).success).toBe(true);
    expect(a.severity).toBe('medium'); // both ends in the default home network
    expect(a.evidence[0]).toMatchObject({ metric: 'bytes', threshold: 1_000_000, windowSeconds: 60 });
    expect(a.evidence[0].value).toBeGreaterThan(1_300_000);
    expect(a.summary).toBe(`10.0.0.7 sent ${(a.evidence[0].value / 1e6).toFixed(2)} MB to 10.0.0.22 within 60 s.`);
  });

  needPcaps('HTTP download over SLL2: the server 192.168.1.21 sends 2.61 MB to 192.168.1.253', async () => {
    const r = await runCapture(pcap('suricata-verify/sll2-http.pcap'), { config });
    expect(alertLines(r.alerts)).toEqual(['large_transfer 192.168.1.21 -> 192.168.1.253']);
  });

  needPcaps('a transfer leaving the home network is high severity', async () => {
    const r = await runCapture(pcap('zeek/irc-dcc-send.pcapng'), { config: { ...config, homeNet: ['10.0.0.7/32'] } });
    expect(r.alerts.map((a) => `${a.type} ${a.severity}`)).toEqual(['large_transfer high']);
    expect(r.alerts[0].summary).toMatch(/, leaving the home network\.$/);
  });

  needPcaps('web browsing (0.5 MB) stays under even the 1 MB threshold', async () => {
    const r = await runCapture(pcap('zeek/http-bro.org.pcap'), { config });
    expect(r.alerts).toEqual([]);
  });
});
