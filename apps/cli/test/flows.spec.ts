import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlowV1 } from '@netsentry/contracts';
import { CIC_COLUMNS, FLOW_FEATURE_NAMES } from '@netsentry/flows';
import { haveSharedPcaps, itIf } from '@netsentry/testing';
import { cli, parseCsv, pcap, tempDir } from './helpers';

const has = itIf(haveSharedPcaps, 'needs ../shared/data/pcaps');

describe('netsentry flows', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => (tmp = tempDir()));
  afterAll(() => tmp.cleanup());

  has('native CSV: one row per flow with every feature; matches the JSON Lines output', async () => {
    const csv = join(tmp.dir, 'f.csv');
    const jsonl = join(tmp.dir, 'f.jsonl');
    const file = pcap('zeek/http-bro.org.pcap');
    expect((await cli(['flows', file, '-o', csv, '--sensor', 't1'])).code).toBe(0);
    expect((await cli(['flows', file, '-o', jsonl, '--sensor', 't1'])).code).toBe(0);
    const rows = parseCsv(readFileSync(csv, 'utf8'));
    const header = rows[0];
    expect(header.slice(0, 4)).toEqual(['id', 'sensor', 'proto', 'srcIp']);
    for (const name of FLOW_FEATURE_NAMES) expect(header).toContain(name);
    const flows = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => FlowV1.parse(JSON.parse(l)));
    expect(rows.length - 1).toBe(flows.length);
    expect(flows.length).toBeGreaterThan(5);
    // Same flows, same order, same numbers in both formats.
    const idx = (n: string): number => header.indexOf(n);
    flows.forEach((f, i) => {
      const r = rows[i + 1];
      expect(r[idx('id')]).toBe(f.id);
      expect(Number(r[idx('fwdBytes')])).toBe(f.fwdBytes);
      expect(r[idx('sensor')]).toBe('t1');
    });
    // Bytes in flows add up to the capture's bytes (every packet of this capture is TCP/UDP and belongs to one flow).
    const total = flows.reduce((s, f) => s + f.fwdBytes + f.bwdBytes, 0);
    expect(total).toBe(494493);
  });

  has('--features cic: CICFlowMeter column names and order', async () => {
    const out = join(tmp.dir, 'cic.csv');
    const r = await cli(['flows', pcap('esnet-curated/nmap_80_all.pcap'), '--features', 'cic', '-o', out]);
    expect(r.code).toBe(0);
    const rows = parseCsv(readFileSync(out, 'utf8'));
    expect(rows[0]).toEqual([...CIC_COLUMNS]);
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) expect(row).toHaveLength(CIC_COLUMNS.length);
    expect(rows[0]).toEqual(expect.arrayContaining(['Flow Duration', 'Total Fwd Packet', 'SYN Flag Count']));
  });

  has('reads every link type and format of the shared captures (pcapng, gzip-less SLL2, raw IP, big-endian)', async () => {
    for (const f of ['zeek/irc-dcc-send.pcapng', 'suricata-verify/sll2-http.pcap', 'suricata-verify/rawip-tls-session.pcap', 'suricata-verify/nfs3.bigendian.pcap', 'zeek/http-get-to-ssh-server.nanosec.pcap']) {
      const out = join(tmp.dir, 'x.jsonl');
      const r = await cli(['flows', pcap(f), '-o', out]);
      expect(r.code).toBe(0);
      expect(readFileSync(out, 'utf8').trim().split('\n').length).toBeGreaterThan(0);
    }
  });
});
