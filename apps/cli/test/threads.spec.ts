import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { haveSharedPcaps, itIf } from '@netsentry/testing';
import { Model } from '@netsentry/detection';
import { runAnalyze, type AnalyzeOptions } from '../src/commands/analyze';
import { loadRules } from '../src/config';
import { cli, pcap, SAMPLES, tempDir } from './helpers';

/**
 * analyze with the flow side in the worker thread (analyze.thread.ts) writes the same files and
 * the same notes as on one thread: same flows, training point, model, scores and alerts.
 */
describe('analyze on two threads', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => (tmp = tempDir()));
  afterAll(() => tmp.cleanup());

  async function both(name: string, files: string[], extra: Partial<AnalyzeOptions> = {}): Promise<{ files: string[]; notes: string[] }> {
    const runs: Array<{ dir: string; notes: string[]; json: string }> = [];
    for (const threads of [false, true]) {
      const dir = join(tmp.dir, `${name}-${threads ? 'threads' : 'one'}`);
      const notes: string[] = [];
      const printed: string[] = [];
      const r = await runAnalyze({
        command: 'analyze', files, sensor: 'threads-test', rules: loadRules(), format: 'json', out: dir, quiet: true,
        note: (s) => notes.push(s), print: (s) => printed.push(s), threads, ...extra,
      });
      expect(r.exitCode).toBe(0);
      runs.push({ dir, notes, json: printed.join('\n') });
    }
    const [one, two] = runs;
    const names = readdirSync(one.dir).sort();
    expect(readdirSync(two.dir).sort()).toEqual(names);
    for (const f of names) expect({ f, text: readFileSync(join(two.dir, f), 'utf8') }).toEqual({ f, text: readFileSync(join(one.dir, f), 'utf8') });
    expect(two.notes).toEqual(one.notes);
    expect(two.json).toEqual(one.json);
    return { files: names, notes: one.notes };
  }

  itIf(existsSync(join(SAMPLES, 'attacks.pcap')), 'needs data/samples/attacks.pcap (lab)')(
    'lab attacks sample: same five files, trained on the first part in both',
    async () => {
      const r = await both('attacks', [join(SAMPLES, 'attacks.pcap')]);
      expect(r.files).toEqual(['alerts.csv', 'anomalies.csv', 'flows.csv', 'report.html', 'summary.json']);
      expect(r.notes.join('\n')).toMatch(/trained model if-[0-9a-f]{16} on the first part of the input \(\d+ flows up to .*, (\d+)% of the input read\)/);
      const summary = JSON.parse(readFileSync(join(tmp.dir, 'attacks-threads', 'summary.json'), 'utf8'));
      expect(summary.counts.flows).toBeGreaterThan(100);
      expect(summary.counts.alerts).toBeGreaterThan(0);
      expect(summary.counts.anomalies).toBeGreaterThan(0);
    },
  );

  itIf(haveSharedPcaps && existsSync(join(SAMPLES, 'demo.pcap')), 'needs ../shared/data/pcaps and data/samples/demo.pcap')(
    'a damaged file among several: same warning (file, byte offset) and the same notes in the same order',
    async () => {
      const src = readFileSync(pcap('esnet-curated/masscan_tcp_0_1000_20190821.pcap'));
      const damaged = join(tmp.dir, 'truncated.pcap');
      writeFileSync(damaged, src.subarray(0, 40_000));
      const r = await both('damaged', [damaged, join(SAMPLES, 'demo.pcap')]);
      expect(r.notes.some((n) => n.startsWith(`warning: ${damaged} is damaged at byte offset `))).toBe(true);
      const summary = JSON.parse(readFileSync(join(tmp.dir, 'damaged-threads', 'summary.json'), 'utf8'));
      expect(summary.inputs[0].error.offset).toBeGreaterThan(24);
    },
  );

  itIf(haveSharedPcaps, 'needs ../shared/data/pcaps')('with a model file (detect): same anomalies and scores', async () => {
    const modelPath = join(tmp.dir, 'model.json');
    const base = ['zeek/http-bro.org.pcap', 'zeek/ftp-cwd-navigation.pcap', 'zeek/irc-dcc-send.pcapng', 'suricata-verify/sll2-http.pcap'].map(pcap);
    const t = await cli(['train', ...base, '-o', modelPath, '--seed', '3']);
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    const model = Model.fromJSON(JSON.parse(readFileSync(modelPath, 'utf8')));
    await both('detect', [pcap('esnet-curated/nmap_80_all.pcap')], { command: 'detect', model });
    const summary = JSON.parse(readFileSync(join(tmp.dir, 'detect-threads', 'summary.json'), 'utf8'));
    expect(summary.model).toMatchObject({ id: model.id, source: 'file' });
    expect(summary.counts.anomalies).toBeGreaterThan(0);
  });

  itIf(haveSharedPcaps, 'needs ../shared/data/pcaps')('netsentry analyze --threads 2 writes the same files as the default (one thread)', async () => {
    const file = pcap('esnet-curated/masscan_tcp_0_1000_20190821.pcap');
    const one = join(tmp.dir, 'cli-one');
    const two = join(tmp.dir, 'cli-two');
    const a = await cli(['analyze', file, '--out', one, '--quiet', '--format', 'json']);
    const b = await cli(['analyze', file, '--out', two, '--quiet', '--format', 'json', '--threads', '2']);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(b.out).toEqual(a.out);
    for (const f of readdirSync(one)) expect({ f, text: readFileSync(join(two, f), 'utf8') }).toEqual({ f, text: readFileSync(join(one, f), 'utf8') });
    expect((await cli(['analyze', file, '--threads', '3'])).code).toBe(2);
  });

  itIf(haveSharedPcaps, 'needs ../shared/data/pcaps')('too few flows to train (13): the same "not scored" note and model note', async () => {
    const r = await both('few', [pcap('zeek/http-bro.org.pcap')]);
    const summary = JSON.parse(readFileSync(join(tmp.dir, 'few-threads', 'summary.json'), 'utf8'));
    expect(summary.counts.flows).toBe(13);
    expect(r.notes.join('\n')).toContain('only 13 flows (a model needs at least 16): anomalies are not scored');
    expect(summary.modelNote).toContain('no model: only 13 flows');
    expect(readFileSync(join(tmp.dir, 'few-threads', 'anomalies.csv'), 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
