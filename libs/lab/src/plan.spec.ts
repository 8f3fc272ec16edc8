import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { planScenario } from './plan';
import { parseScenarioYaml, type Scenario } from './scenario';

const ctx = { node: '/usr/bin/node', httpd: '/lab/httpd.js', workDir: '/tmp/w' };
function load(name: string): Scenario {
  const r = parseScenarioYaml(readFileSync(resolve(__dirname, '../../../lab/scenarios', `${name}.yaml`), 'utf8'));
  if (!r.ok) throw new Error(r.error.message);
  return r.scenario;
}

describe('planner', () => {
  it('is deterministic: the same scenario and seed give the same plan', () => {
    const s = load('demo');
    expect(planScenario(s, ctx)).toEqual(planScenario(s, ctx));
  });

  it('a different seed changes offsets, sizes and clients', () => {
    const s = load('demo');
    const a = planScenario(s, ctx);
    const b = planScenario({ ...s, seed: s.seed + 1 }, ctx);
    expect(b.steps.map((x) => x.at)).not.toEqual(a.steps.map((x) => x.at));
    expect(b.steps.length).toBe(a.steps.length);
  });

  it('bounds every step in time and keeps them within the duration', () => {
    for (const name of ['baseline', 'attacks', 'demo', 'tiny']) {
      const s = load(name);
      const p = planScenario(s, ctx);
      expect(p.steps.length).toBeGreaterThan(0);
      for (const st of p.steps) {
        expect(st.timeoutSec).toBeGreaterThan(0);
        expect(st.timeoutSec).toBeLessThanOrEqual(600);
        expect(st.at).toBeGreaterThanOrEqual(0);
        expect(st.at).toBeLessThan(s.duration);
      }
    }
  });

  it('uses the real tools with bounded counts', () => {
    const p = planScenario(load('attacks'), ctx);
    const argv = (id: string) => p.steps.filter((s) => s.attackId === id).map((s) => s.argv);
    expect(argv('scan-fast')[0].slice(0, 2)).toEqual(['nmap', '-sS']);
    expect(argv('scan-slow')[0]).toEqual(expect.arrayContaining(['--scan-delay', '250ms']));
    expect(argv('sweep')[0].slice(0, 2)).toEqual(['nmap', '-sn']);
    expect(argv('syn-flood')[0]).toEqual(expect.arrayContaining(['hping3', '-S', '-c', '2000']));
    expect(argv('udp-flood')[0]).toEqual(expect.arrayContaining(['hping3', '--udp', '-c', '2000']));
    expect(argv('icmp-flood')[0]).toEqual(expect.arrayContaining(['hping3', '--icmp', '-c', '2000']));
    expect(argv('ddos')).toHaveLength(24);
    expect(argv('exfil')[0]).toEqual(expect.arrayContaining(['curl', '-T', '/tmp/w/exfil-exfil.bin', '--limit-rate', '4000000']));
    expect(argv('spike')).toHaveLength(8);
    expect(argv('spike')[0][2]).toMatch(/^curl -s -Z --parallel-max 16 .*r=\[1-200\]/);
    expect(p.files).toEqual([{ name: 'exfil-exfil.bin', bytes: 55000000 }]);
  });

  it('labels attacks with the contracts vocabulary and derives the services', () => {
    const p = planScenario(load('attacks'), ctx);
    expect(p.attacks.map((a) => a.type)).toEqual(['port_scan', 'port_scan', 'host_sweep', 'traffic_spike', 'syn_flood', 'udp_flood', 'icmp_flood', 'ddos', 'large_transfer']);
    expect(p.services.map((s) => `${s.host} ${s.name}`).sort()).toEqual(['db echo:5432', 'files httpd:4444', 'web dnsmasq', 'web httpd:80']);
    const sweep = p.attacks.find((a) => a.id === 'sweep')!;
    expect(sweep.targets).toHaveLength(59); // 1..60 without the sweeper itself
    const sweeper = p.hosts.find((h) => h.name === 'sweeper')!;
    // absent addresses are pinned so that the probes reach the wire; live hosts are not
    expect(sweeper.deadNeighbours).toContain('10.66.0.1');
    expect(sweeper.deadNeighbours).not.toContain('10.66.0.10');
    expect(p.hosts.filter((h) => h.role === 'attacker').map((h) => h.name)).toContain('bot24');
    expect(p.hosts.find((h) => h.name === 'insider')!.mtu).toBe(9000);
    expect(p.hosts.find((h) => h.name === 'web')!.mtu).toBe(1500);
  });
});
