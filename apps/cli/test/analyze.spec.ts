import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AlertV1, AnomalyV1, severityRank } from '@netsentry/contracts';
import { haveSharedPcaps, itIf } from '@netsentry/testing';
import { cli, pcap, SAMPLES, tempDir } from './helpers';
import { parseCsv } from './helpers';

const has = itIf(haveSharedPcaps, 'needs ../shared/data/pcaps');

/** analyze on real captures: alerts, anomalies, outputs, exit codes. */
describe('netsentry analyze', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => (tmp = tempDir()));
  afterAll(() => tmp.cleanup());

  has('masscan TCP scan: one port_scan alert naming scanner and target; every output written and valid', async () => {
    const out = join(tmp.dir, 'masscan');
    const r = await cli(['analyze', pcap('esnet-curated/masscan_tcp_0_1000_20190821.pcap'), '--out', out, '--sensor', 'cli-test']);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['alerts.csv', 'anomalies.csv', 'flows.csv', 'report.html', 'summary.json']);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.counts.packets).toBe(1005);
    const alerts = s.alerts.map((a: unknown) => AlertV1.parse(a));
    const scans = alerts.filter((a: AlertV1) => a.type === 'port_scan');
    expect(scans).toHaveLength(1);
    expect(scans[0].sources).toEqual(['172.31.15.102']);
    expect(scans[0].targets).toEqual(['198.124.152.15']);
    expect(scans[0].sensor).toBe('cli-test');
    for (const a of s.anomalies) AnomalyV1.parse(a);
    // CSV files agree with the summary.
    const flows = parseCsv(readFileSync(join(out, 'flows.csv'), 'utf8'));
    expect(flows.length - 1).toBe(s.counts.flows);
    const alertRows = parseCsv(readFileSync(join(out, 'alerts.csv'), 'utf8'));
    expect(alertRows.length - 1).toBe(alerts.length);
    expect(alertRows[1][alertRows[0].indexOf('summary')]).toBe(alerts[0].summary);
    const anomalyRows = parseCsv(readFileSync(join(out, 'anomalies.csv'), 'utf8'));
    expect(anomalyRows.length - 1).toBe(s.counts.anomalies);
    // Printed summary: protocols, talkers, the alert line, the trained model note.
    expect(r.out).toContain('Packets by protocol');
    expect(r.out).toContain('Top talkers');
    expect(r.out).toContain('[high] port_scan');
    expect(r.err).toMatch(/no --model given: trained model if-[0-9a-f]{16} on the first part of the input \(\d+ flows up to .*% of the input read\)/);
  });

  has('--fail-on: exit 1 when an alert at or above the severity is found, 0 otherwise', async () => {
    const file = pcap('esnet-curated/masscan_tcp_0_1000_20190821.pcap');
    const r = await cli(['analyze', file, '--format', 'json', '--quiet']);
    const s = JSON.parse(r.out);
    const top = Math.max(...s.alerts.map((a: AlertV1) => severityRank(a.severity)));
    expect(top).toBeGreaterThan(0);
    expect((await cli(['analyze', file, '--fail-on', 'low', '--quiet'])).code).toBe(1);
    const above = ['low', 'medium', 'high', 'critical'][top]; // one band above the highest alert
    if (above) expect((await cli(['analyze', file, '--fail-on', above, '--quiet'])).code).toBe(0);
    // A benign web session raises no alert: exit 0 even with --fail-on low.
    expect((await cli(['analyze', pcap('zeek/http-bro.org.pcap'), '--fail-on', 'low', '--quiet'])).code).toBe(0);
  });

  has('SYN flood with 37k spoofed sources: syn_flood/ddos alert on 10.10.10.10, truncated sources with a count', async () => {
    const r = await cli(['analyze', pcap('stopddos/pkt.TCP.synflood.spoofed.pcap'), '--format', 'json', '--quiet']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.counts.packets).toBe(37841);
    const flood = s.alerts.filter((a: AlertV1) => (a.type === 'syn_flood' || a.type === 'ddos') && a.targets.includes('10.10.10.10'));
    expect(flood.length).toBeGreaterThan(0);
    for (const a of s.alerts) AlertV1.parse(a);
  });

  has('DNS amplification: alerts.csv gives the udp_flood closed as part of the ddos alert its supersededBy, and the ddos alert its includes, in the last columns', async () => {
    const out = join(tmp.dir, 'dns-amp');
    const r = await cli(['analyze', pcap('stopddos/amp.dns.RRSIG.fragmented.pcap'), '--out', out]);
    expect(r.code).toBe(0);
    const alerts: AlertV1[] = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).alerts.map((a: unknown) => AlertV1.parse(a));
    const ddos = alerts.find((a) => a.type === 'ddos')!;
    const udp = alerts.find((a) => a.type === 'udp_flood')!;
    expect(udp.supersededBy).toBe(ddos.id);
    expect(ddos.includes).toEqual(['udp_flood']);
    expect(udp.includes).toBeUndefined();
    // The printed summary says it too, or the two lines read as two incidents.
    expect(r.out).toMatch(/^Alerts: 2 \(1 critical, 1 high; 1 closed as part of another\)$/m);
    expect(r.out).toContain(`[high] udp_flood: ${udp.summary} (closed as part of the ddos alert ${ddos.id})`);
    const rows = parseCsv(readFileSync(join(out, 'alerts.csv'), 'utf8'));
    // The columns before it are where they were: readers by position keep working.
    expect(rows[0]).toEqual(['id', 'type', 'severity', 'start', 'end', 'sources', 'targets', 'sourceCount', 'targetCount', 'summary', 'evidence', 'rule', 'sensor', 'supersededBy', 'includes']);
    for (const row of rows) expect(row).toHaveLength(rows[0].length);
    const col = (name: string) => rows[0].indexOf(name);
    const byId = new Map(rows.slice(1).map((row) => [row[col('id')], row]));
    expect(byId.size).toBe(alerts.length);
    expect(byId.get(udp.id)![col('supersededBy')]).toBe(ddos.id);
    expect(byId.get(ddos.id)![col('supersededBy')]).toBe('');
    expect(byId.get(ddos.id)![col('includes')]).toBe('udp_flood');
    expect(byId.get(udp.id)![col('includes')]).toBe('');
  });

  has('several files are read as one stream; --format json is the summary', async () => {
    const r = await cli(['analyze', pcap('zeek/ftp-ipv6.pcap'), pcap('suricata-verify/vlan-ipv6-http.pcap'), '--format', 'json', '--quiet']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.inputs.map((i: { file: string }) => i.file)).toEqual([pcap('zeek/ftp-ipv6.pcap'), pcap('suricata-verify/vlan-ipv6-http.pcap')]);
    expect(s.counts.packets).toBe(s.inputs[0].packets + s.inputs[1].packets);
  });

  has('train on normal, detect on suspect: the model file round-trips and detect scores with it', async () => {
    const model = join(tmp.dir, 'model.json');
    const base = ['zeek/http-bro.org.pcap', 'zeek/ftp-cwd-navigation.pcap', 'zeek/irc-dcc-send.pcapng', 'suricata-verify/sll2-http.pcap'].map(pcap);
    const t = await cli(['train', ...base, '-o', model, '--seed', '7']);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/trained model if-[0-9a-f]{16} on \d+ flows/);
    const json = JSON.parse(readFileSync(model, 'utf8'));
    expect(json.params.seed).toBe(7);
    // Same seed and data, same model.
    const model2 = join(tmp.dir, 'model2.json');
    await cli(['train', ...base, '-o', model2, '--seed', '7']);
    expect(readFileSync(model2, 'utf8')).toBe(readFileSync(model, 'utf8'));
    const d = await cli(['detect', pcap('esnet-curated/nmap_80_all.pcap'), '--model', model, '--format', 'json', '--quiet']);
    expect(d.code).toBe(0);
    const s = JSON.parse(d.out);
    expect(s.model).toMatchObject({ id: json.id, source: 'file' });
    expect(s.counts.anomalies).toBeGreaterThan(0);
    expect(s.anomalies.every((a: AnomalyV1) => a.model.id === json.id)).toBe(true);
    // nmap's probes are what stands out against web/ftp/irc traffic.
    expect(s.anomalies[0].srcIp === '10.87.1.10' || s.anomalies[0].dstIp === '10.87.1.10').toBe(true);
  });

  has('a model file that is not a model → exit 2 naming the file', async () => {
    const bad = join(tmp.dir, 'bad-model.json');
    require('node:fs').writeFileSync(bad, '{"format":"something else"}');
    const r = await cli(['detect', pcap('zeek/http-bro.org.pcap'), '--model', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${bad}: not a usable model`);
    const r2 = await cli(['analyze', pcap('zeek/http-bro.org.pcap'), '--rules', join(tmp.dir, 'nope.yaml')]);
    expect(r2.code).toBe(2);
    expect(r2.err).toContain('nope.yaml: cannot read rules: no such file');
  });

  itIf(existsSync(join(SAMPLES, 'attacks.pcap')), 'needs data/samples/attacks.pcap (lab)')('lab attacks sample: every attack in the truth file raises an alert of its type', async () => {
    const truth = JSON.parse(readFileSync(join(SAMPLES, 'attacks.truth.json'), 'utf8'));
    const r = await cli(['analyze', join(SAMPLES, 'attacks.pcap'), '--format', 'json', '--quiet']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    const types = new Set(s.alerts.map((a: AlertV1) => a.type));
    for (const a of truth.attacks) expect(types).toContain(a.type);
  });
});
