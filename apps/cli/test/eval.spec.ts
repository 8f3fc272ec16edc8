import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AlertV1 } from '@netsentry/contracts';
import { TRAIN_LIMITS } from '@netsentry/detection';
import { ipToString, readCaptureFile } from '@netsentry/packets';
import { haveSharedPcaps, itIf } from '@netsentry/testing';
import { TRAIN_MAX } from '../src/cli';
import { cli, pcap, SAMPLES, tempDir } from './helpers';

const haveAttacks = existsSync(join(SAMPLES, 'attacks.pcap')) && existsSync(join(SAMPLES, 'baseline.pcap'));
const haveDemo = existsSync(join(SAMPLES, 'demo.pcap'));
const DNS_AMP = pcap('stopddos/amp.dns.RRSIG.fragmented.pcap');

/**
 * A truth file for the StopDDoS DNS amplification capture, read from the capture itself (not from
 * any alert): the attack is every DNS answer (UDP from port 53) and IP fragment sent to the
 * anonymised victim 10.10.10.10 — 53 resolvers over 28 s; its own TCP traffic is the background.
 */
async function dnsAmpTruth(): Promise<object> {
  const victim = '10.10.10.10';
  const sources = new Set<string>();
  let [packets, bytes, n, first, last, start, end] = [0, 0, 0, Infinity, -Infinity, Infinity, -Infinity];
  await readCaptureFile(DNS_AMP, (rec) => {
    const ts = rec.tsUs / 1e6;
    n++;
    first = Math.min(first, ts);
    last = Math.max(last, ts);
    if (rec.proto !== 17 || ipToString(rec.dst) !== victim || !(rec.srcPort === 53 || rec.isFragment)) return;
    sources.add(ipToString(rec.src));
    packets++;
    bytes += rec.wireLen;
    start = Math.min(start, ts);
    end = Math.max(end, ts);
  });
  const attack = { id: 'dns-amp', type: 'ddos', kind: 'dns_amplification', sources: [...sources].sort(), targets: [victim], start, end, packets, bytes };
  return { version: 1, scenario: 'stopddos-dns-amp', seed: 0, capture: 'amp.dns.RRSIG.fragmented.pcap', captureStart: first, captureEnd: last, packets: n, subnet: '10.10.10.0/24', hosts: [], benignHosts: [], attacks: [attack] };
}

/** eval on the lab's shipped samples: the per-attack table against the truth file. */
describe('netsentry eval / detect on the lab samples', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => (tmp = tempDir()));
  afterAll(() => tmp.cleanup());

  itIf(haveAttacks, 'needs data/samples/{attacks,baseline}.pcap (lab)')('eval attacks.pcap with a baseline model: every attack in the report, rules and flow scores measured', async () => {
    const model = join(tmp.dir, 'baseline.json');
    expect((await cli(['train', join(SAMPLES, 'baseline.pcap'), '-o', model, '--quiet'])).code).toBe(0);
    const out = join(tmp.dir, 'eval-out');
    const r = await cli(['eval', join(SAMPLES, 'attacks.pcap'), '--truth', join(SAMPLES, 'attacks.truth.json'), '--model', model, '--format', 'json', '--out', out, '--quiet']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    const truth = JSON.parse(readFileSync(join(SAMPLES, 'attacks.truth.json'), 'utf8'));
    expect(report.attacks.map((a: { id: string }) => a.id).sort()).toEqual(truth.attacks.map((a: { id: string }) => a.id).sort());
    // The scans and floods are found by the rules (the scenario was made so that each crosses its rule's default threshold).
    const detected = new Set(report.attacks.filter((a: { detected: boolean }) => a.detected).map((a: { type: string }) => a.type));
    for (const t of ['port_scan', 'host_sweep', 'syn_flood', 'udp_flood']) expect(detected).toContain(t);
    // The model trained on benign traffic ranks attack flows above benign ones.
    expect(report.overall.flows.rocAuc).toBeGreaterThan(0.8);
    expect(report.overall.flows.positives + report.overall.flows.negatives).toBeGreaterThan(1000);
    // eval --out also writes the analyze outputs and eval.json.
    expect(JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8')).attacks).toHaveLength(truth.attacks.length);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    // The table for people names every attack.
    const t = await cli(['eval', join(SAMPLES, 'attacks.pcap'), '--truth', join(SAMPLES, 'attacks.truth.json'), '--model', model, '--quiet']);
    for (const a of truth.attacks) expect(t.out).toContain(a.id);
    expect(t.out).toContain('ROC AUC');
  }, 240_000);

  itIf(haveSharedPcaps, 'shared captures (../shared/data/pcaps) not present')(
    'eval on the StopDDoS DNS amplification: the udp_flood closed as part of the ddos alert is counted with it, not as a mistyped alert',
    async () => {
      const truthFile = join(tmp.dir, 'dns-amp.truth.json');
      writeFileSync(truthFile, JSON.stringify(await dnsAmpTruth()));
      const out = join(tmp.dir, 'dns-amp');
      const r = await cli(['eval', DNS_AMP, '--truth', truthFile, '--format', 'json', '--out', out, '--quiet']);
      expect(r.code).toBe(0);
      // What the rules raised: a ddos alert, and the udp_flood raised 3 s before it, closed as part of it.
      const alerts: AlertV1[] = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).alerts;
      const ddos = alerts.find((a) => a.type === 'ddos')!;
      const udp = alerts.find((a) => a.type === 'udp_flood')!;
      expect(alerts.map((a) => a.type).sort()).toEqual(['ddos', 'udp_flood']);
      expect(udp.supersededBy).toBe(ddos.id);
      const report = JSON.parse(r.out);
      expect(report.attacks).toHaveLength(1);
      expect(report.attacks[0]).toMatchObject({ id: 'dns-amp', detected: true, alertIds: [ddos.id], mistypedAlertIds: [] });
      expect(report.mistypedAlerts).toEqual([]);
      expect(report.falseAlerts).toEqual([]);
      expect(report.absorbedAlerts).toEqual([expect.objectContaining({ id: udp.id, type: 'udp_flood', supersededBy: ddos.id, partOf: ddos.id })]);
      expect(report.overall).toMatchObject({ attacks: 1, detected: 1, alerts: 1, falseAlerts: 0, alertPrecision: 1 });
      expect(Object.keys(report.byType)).toEqual(['ddos']);
      // The table says so too.
      const t = await cli(['eval', DNS_AMP, '--truth', truthFile, '--quiet']);
      expect(t.out).toMatch(/^dns-amp\s+ddos\s+yes\s+\d+\.\d\d\s+1\s+\d+$/m);
      expect(t.out).toContain('alert precision: 100%; false alerts: 0; mistyped alerts: 0; part of another alert: 1\n');
      expect(t.out).toContain(`alert ${udp.id} (udp_flood) is part of ${ddos.id}: counted with it`);
    },
    60_000,
  );

  it('a truth file that is not one → exit 2 naming it', async () => {
    const bad = join(tmp.dir, 'bad.truth.json');
    writeFileSync(bad, '{"attacks": "none"}');
    const r = await cli(['eval', join(SAMPLES, 'attacks.pcap'), '--truth', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(haveAttacks ? `${bad}: not a usable truth file` : 'attacks.pcap');
  });

  it.each([
    ['--trees', '20000', '1, 10000'],
    ['--trees', '0', '1, 10000'],
    ['--seed', '5000000000', '0, 4294967295'],
    ['--max-samples', '2000000', '2, 1048576'],
  ])('train %s %s (outside what trainModel takes) → usage error, exit 2, no model', async (opt, v, range) => {
    const out = join(tmp.dir, `bounds-${opt}-${v}.json`);
    const r = await cli(['train', join(SAMPLES, 'baseline.pcap'), '-o', out, opt, v, '--quiet']);
    expect(r).toMatchObject({ code: 2, err: expect.stringContaining(`${opt}: '${v}' is not an integer in [${range}]`) });
    expect(existsSync(out)).toBe(false);
  });

  it.each(['analyze', 'eval'])('%s --seed outside what trainModel takes → usage error, exit 2', async (cmd) => {
    const args = [cmd, join(SAMPLES, 'demo.pcap'), '--seed', '5000000000', ...(cmd === 'eval' ? ['--truth', join(SAMPLES, 'demo.truth.json')] : [])];
    const r = await cli(args);
    expect(r).toMatchObject({ code: 2, err: expect.stringContaining("--seed: '5000000000' is not an integer in [0, 4294967295]") });
  });

  it("train's option bounds are libs/detection's training limits", () => {
    expect(TRAIN_MAX).toEqual({ trees: TRAIN_LIMITS.maxTrees, maxSamples: TRAIN_LIMITS.maxSamples, seed: TRAIN_LIMITS.maxSeed });
  });

  itIf(haveAttacks, 'needs data/samples/{attacks,baseline}.pcap (lab)')('detect with a model whose height limit would make scoring loop → exit 2 naming the file, at once', async () => {
    const model = join(tmp.dir, 'small.json');
    expect((await cli(['train', join(SAMPLES, 'baseline.pcap'), '-o', model, '--trees', '5', '--quiet'])).code).toBe(0);
    const j = JSON.parse(readFileSync(model, 'utf8'));
    j.forest.heightLimit = 20_000_000;
    const { id: _id, version: _v, ...body } = j;
    j.id = 'if-' + createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16); // as if trained so
    const tall = join(tmp.dir, 'tall.json');
    writeFileSync(tall, JSON.stringify(j));
    const t = Date.now();
    const r = await cli(['detect', join(SAMPLES, 'attacks.pcap'), '--model', tall, '--quiet']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${tall}: not a usable model (MODEL.BAD_JSON: heightLimit 20000000 is not ceil(log2(subsampleSize 198)) = 8)`);
    expect(Date.now() - t).toBeLessThan(5000);
  }, 60_000);

  itIf(haveDemo, 'needs data/samples/demo.pcap (lab)')('demo.pcap (what `npm run demo` analyses): alerts as contract records, report written', async () => {
    const out = join(tmp.dir, 'demo');
    const r = await cli(['analyze', join(SAMPLES, 'demo.pcap'), '--out', out, '--quiet']);
    expect(r.code).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.alerts.length).toBeGreaterThan(0);
    for (const a of s.alerts) AlertV1.parse(a);
    const truth = JSON.parse(readFileSync(join(SAMPLES, 'demo.truth.json'), 'utf8'));
    const types = new Set(s.alerts.map((a: AlertV1) => a.type));
    const found = truth.attacks.filter((a: { type: string }) => types.has(a.type));
    expect(found.length).toBeGreaterThan(0);
  }, 120_000);
});
