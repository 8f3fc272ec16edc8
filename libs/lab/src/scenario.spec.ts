import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { hostAddresses, parseScenario, parseScenarioYaml } from './scenario';

const SCENARIOS = resolve(__dirname, '../../../lab/scenarios');

const base = {
  name: 't',
  seed: 1,
  duration: 60,
  hosts: [{ name: 'web' }, { name: 'client' }, { name: 'attacker' }, { name: 'b1' }, { name: 'b2' }],
  benign: [{ kind: 'http_download', server: 'web', clients: ['client'], count: 3 }],
  attacks: [{ id: 'syn', kind: 'syn_flood', at: 5, from: 'attacker', to: 'web', count: 100, maxSeconds: 10 }],
};

function issues(raw: unknown): string {
  const r = parseScenario(raw);
  if (r.ok) return '';
  expect(r.error.code).toBe('SCENARIO.INVALID');
  return r.error.message;
}

describe('scenario schema', () => {
  it.each(readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml')))('shipped scenario %s is valid', (f) => {
    const r = parseScenarioYaml(readFileSync(resolve(SCENARIOS, f), 'utf8'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.scenario.name).toBe(f.replace(/\.yaml$/, ''));
  });

  it('fills defaults and derives addresses from host numbers', () => {
    const r = parseScenario({ ...base, duration: 120, attacks: [{ id: 'syn', kind: 'syn_flood', at: 5, from: 'attacker', to: 'web', count: 100 }] });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.scenario.subnet).toBe('10.66.0.0/24');
    expect(r.scenario.capture.snaplen).toBe(128);
    expect(r.scenario.attacks[0]).toMatchObject({ port: 80, intervalUs: 1000, maxSeconds: 60 });
    expect(hostAddresses(r.scenario).get('attacker')).toBe('10.66.0.12');
  });

  it('rejects unknown hosts and unknown fields', () => {
    expect(issues({ ...base, attacks: [{ ...base.attacks[0], to: 'nobody' }] })).toMatch(/unknown host nobody/);
    expect(issues({ ...base, colour: 'red' })).toMatch(/colour/);
    expect(issues({ ...base, attacks: [{ ...base.attacks[0], count: 5, rate: 3 }] })).toMatch(/rate/);
  });

  it('requires attack sources to be dedicated hosts', () => {
    expect(issues({ ...base, attacks: [{ ...base.attacks[0], from: 'client' }] })).toMatch(/client takes part in benign activities/);
  });

  it('requires three or more DDoS sources', () => {
    expect(issues({ ...base, attacks: [{ id: 'd', kind: 'ddos', at: 5, from: ['attacker', 'b1'], to: 'web', count: 10, maxSeconds: 10 }] })).toMatch(/attacks\.0\.from/);
    expect(issues({ ...base, attacks: [{ id: 'd', kind: 'ddos', at: 5, from: ['attacker', 'b1', 'b2'], to: 'web', count: 10, maxSeconds: 10 }] })).toBe('');
  });

  it('rejects one source in two overlapping attacks, duplicate ids and attacks past the end', () => {
    const udp = (at: number) => ({ id: 'udp', kind: 'udp_flood', at, from: 'attacker', to: 'web', count: 100, maxSeconds: 5 });
    expect(issues({ ...base, attacks: [base.attacks[0], udp(6)] })).toMatch(/already attacking in syn then \(keep 5 s apart\)/);
    // the gap counts from the end of the first attack's time limit (5 + 10) plus 5 s
    expect(issues({ ...base, attacks: [base.attacks[0], udp(19.9)] })).toMatch(/already attacking in syn/);
    expect(issues({ ...base, attacks: [base.attacks[0], udp(20)] })).toBe('');
    expect(issues({ ...base, attacks: [base.attacks[0], { ...base.attacks[0], at: 30 }] })).toMatch(/duplicate attack id/);
    expect(issues({ ...base, attacks: [{ ...base.attacks[0], at: 59.5 }] })).toMatch(/past the duration/);
  });

  it('bounds every count and time', () => {
    expect(issues({ ...base, duration: 100000 })).toMatch(/duration/);
    expect(issues({ ...base, attacks: [{ ...base.attacks[0], count: 10_000_000 }] })).toMatch(/count/);
    expect(issues({ ...base, benign: [{ ...base.benign[0], count: 1e6 }] })).toMatch(/count/);
  });

  it('expands host groups into numbered hosts and group names in host lists', () => {
    const r = parseScenario({
      ...base,
      hosts: [...base.hosts, { name: 'bot', count: 3, hostNumber: 100, mtu: 9000 }],
      attacks: [{ id: 'd', kind: 'ddos', at: 5, from: ['bot', 'attacker'], to: 'web', count: 10, maxSeconds: 10 }],
    });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.scenario.hosts.slice(-3)).toEqual([
      { name: 'bot1', hostNumber: 100, mtu: 9000 },
      { name: 'bot2', hostNumber: 101, mtu: 9000 },
      { name: 'bot3', hostNumber: 102, mtu: 9000 },
    ]);
    const d = r.scenario.attacks[0];
    expect(d.kind === 'ddos' && d.from).toEqual(['bot1', 'bot2', 'bot3', 'attacker']);
    expect(hostAddresses(r.scenario).get('bot3')).toBe('10.66.0.102');
  });

  it('rejects a host group without a first host number or past .254', () => {
    expect(issues({ ...base, hosts: [...base.hosts, { name: 'bot', count: 3 }] })).toMatch(/hosts\.5/);
    expect(issues({ ...base, hosts: [...base.hosts, { name: 'bot', count: 10, hostNumber: 250 }] })).toMatch(/hosts\.5/);
  });

  it('reports YAML syntax errors as SCENARIO.YAML', () => {
    const r = parseScenarioYaml('name: [unclosed');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('SCENARIO.YAML');
  });
});
