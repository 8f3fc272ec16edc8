import { join } from 'node:path';
import { haveSharedPcaps, itIf, SHARED_PCAPS } from '@netsentry/testing';
import { alertLines, runCapture } from './rules.harness';

const pcap = (f: string) => join(SHARED_PCAPS, f);
const needPcaps = itIf(haveSharedPcaps, 'shared captures (../shared/data/pcaps) not present');

// Benign traffic (and out-of-class oddities) must not raise any alert with the default rules.
describe('every rule stays quiet on benign captures', () => {
  needPcaps.each([
    ['zeek/http-bro.org.pcap'],
    ['zeek/irc-dcc-send.pcapng'],
    ['zeek/ftp-ipv6.pcap'],
    ['zeek/ftp-cwd-navigation.pcap'],
    ['suricata-verify/sll2-http.pcap'],
    ['suricata-verify/rawip-tls-session.pcap'],
    ['suricata-verify/null-loopback-http.pcap'],
    ['suricata-verify/vlan-ipv6-http.pcap'],
    ['suricata-verify/nfs3.bigendian.pcap'],
    ['zeek/vlan-collisions.pcap'],
    ['zeek/pppoe-over-qinq.pcap'],
    ['zeek/http-get-to-ssh-server.nanosec.pcap'],
    ['zeek/pcapng-multi-interface.pcapng'],
    ['zeek/ldap-issue-32.sll.pcapng'],
    // Out-of-class anomalies: brute force and an exploit are not scans or floods.
    ['zeek/ssh-sshguess.pcap'],
    ['zeek/ftp-bruteforce.pcap'],
    ['zeek/dhcp-flood.pcap'],
    ['suricata-verify/sll-log4shell-poc.pcap'],
  ])('%s raises no alert', async (file) => {
    const r = await runCapture(pcap(file));
    expect(r.packets).toBeGreaterThan(0);
    expect(alertLines(r.alerts)).toEqual([]);
  });

  needPcaps('all benign captures read as one stream (one sensor, 2011-2025) raise no alert either', async () => {
    const files = ['zeek/http-bro.org.pcap', 'zeek/irc-dcc-send.pcapng', 'zeek/ftp-ipv6.pcap', 'suricata-verify/sll2-http.pcap', 'zeek/ftp-cwd-navigation.pcap'].map(pcap);
    const r = await runCapture(files);
    expect(alertLines(r.alerts)).toEqual([]);
  });
});
