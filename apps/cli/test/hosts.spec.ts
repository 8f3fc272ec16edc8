import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { haveSharedPcaps, itIf } from '@netsentry/testing';
import { cli, pcap, tempDir } from './helpers';
import { scoreHosts, type HostProfile } from '../src/hosts';

const has = itIf(haveSharedPcaps, 'needs ../shared/data/pcaps');

describe('netsentry hosts', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => (tmp = tempDir()));
  afterAll(() => tmp.cleanup());

  has('the sweeping host of a real ICMP host sweep scores highest, with the reason named', async () => {
    const out = join(tmp.dir, 'h.json');
    const r = await cli(['hosts', pcap('sgr-favilli/hs-icmpScan.pcap'), pcap('zeek/http-bro.org.pcap'), '--format', 'json', '-o', out]);
    expect(r.code).toBe(0);
    const { hosts } = JSON.parse(readFileSync(out, 'utf8')) as { hosts: HostProfile[] };
    const top = hosts[0];
    expect(top.uniqueDestinations).toBeGreaterThanOrEqual(100);
    expect(top.score).toBeGreaterThan(0.5);
    expect(top.reasons.map((x) => x.feature)).toContain('uniqueDestinations');
    // The web client of http-bro.org talks to few hosts: far lower score.
    const web = hosts.find((h) => h.host === '192.168.1.104' || h.host.startsWith('192.168.'));
    if (web) expect(web.score).toBeLessThan(top.score);
  });

  has('masscan port scan: the scanner has ~1000 destination ports and 100% failed connections', async () => {
    const r = await cli(['hosts', pcap('esnet-curated/masscan_tcp_0_1000_20190821.pcap'), '--format', 'csv', '-o', join(tmp.dir, 'h.csv')]);
    expect(r.code).toBe(0);
    const lines = readFileSync(join(tmp.dir, 'h.csv'), 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    const scanner = lines.find((l) => l.startsWith('172.31.15.102,'))!.split(',');
    expect(Number(scanner[header.indexOf('uniqueDstPorts')])).toBeGreaterThanOrEqual(1000);
    expect(Number(scanner[header.indexOf('failedConnectionRatio')])).toBeGreaterThan(0.9);
  });

  has('table output names the columns', async () => {
    const r = await cli(['hosts', pcap('esnet-curated/nmap_80_all.pcap')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/host\s+score\s+dsts\s+dst ports\s+src ports\s+pkts out/);
    expect(r.out).toContain('10.87.1.10');
  });

  it('scoreHosts: typical hosts score low, an outlier near 1, a passive server not at all', () => {
    const base = (host: string, d: number): HostProfile => ({
      host, flowsOut: d, flowsIn: 0, uniqueDestinations: d, uniqueDstPorts: d, uniqueSrcPorts: d, packetsSent: 10 * d, packetsReceived: 10 * d,
      bytesSent: 1000 * d, bytesReceived: 1000 * d, packetsInitiated: 10 * d, packetsPerDestination: 10, failedConnectionRatio: 0, uniqueSources: 1, score: 0, reasons: [],
    });
    const hosts = [...Array(20).keys()].map((i) => base(`10.0.0.${i}`, 3 + (i % 3)));
    hosts.push({ ...base('10.0.0.99', 3), uniqueDestinations: 500, uniqueDstPorts: 900, failedConnectionRatio: 1 });
    scoreHosts(hosts);
    const odd = hosts.find((h) => h.host === '10.0.0.99')!;
    expect(odd.score).toBeGreaterThan(0.9);
    expect(odd.reasons[0].feature).toBe('uniqueDstPorts');
    expect(Math.max(...hosts.filter((h) => h !== odd).map((h) => h.score))).toBeLessThan(0.3);
    const server = { ...base('10.0.0.200', 0), flowsOut: 0, flowsIn: 3, bytesSent: 5e8, packetsSent: 4e5, uniqueSources: 3 };
    const pair = [base('10.0.0.1', 2), server];
    scoreHosts(pair);
    expect(pair[1].score).toBe(0);
    expect(pair[0].score).toBeLessThan(0.3);
  });
});
