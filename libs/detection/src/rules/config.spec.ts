import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadRulesConfig, parseRulesConfig, RulesConfigError } from './config';

describe('loadRulesConfig', () => {
  it('gives the documented defaults for an empty configuration', () => {
    const c = loadRulesConfig();
    expect(c.latenessS).toBe(2);
    expect(c.homeNet).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', 'fe80::/10']);
    expect(c.alerts).toEqual({ quietS: 60, updateEveryS: 5, maxListed: 100 });
    expect(c.rules.port_scan).toMatchObject({ enabled: true, windowS: 60, minPorts: 20, maxAnsweredRatio: 0.5, severity: 'medium' });
    expect(c.rules.host_sweep).toMatchObject({ windowS: 60, minHosts: 20, arp: true, icmpEcho: true });
    expect(c.rules.syn_flood).toMatchObject({ windowS: 10, minSyns: 100, severity: 'high' });
    expect(c.rules.udp_flood).toMatchObject({ windowS: 5, minPps: 100, baselineFactor: 10 });
    expect(c.rules.icmp_flood).toMatchObject({ windowS: 5, minPps: 100, baselineFactor: 10 });
    expect(c.rules.ddos).toMatchObject({ windowS: 10, minSources: 20, minPps: 100, severity: 'critical' });
    expect(c.rules.traffic_spike).toMatchObject({ windowS: 10, minPps: 1000, factor: 5, warmupS: 30 });
    expect(c.rules.large_transfer).toMatchObject({ windowS: 60, minBytes: 50_000_000, severityLeavingHome: 'high' });
  });

  it('reads YAML, keeps defaults for what it does not set', () => {
    const c = loadRulesConfig('rules:\n  port_scan:\n    minPorts: 50\n    allowSources: [10.1.2.3, "2001:db8::/32"]\n  ddos:\n    enabled: false\n');
    expect(c.rules.port_scan.minPorts).toBe(50);
    expect(c.rules.port_scan.windowS).toBe(60);
    expect(c.rules.port_scan.allowSources).toEqual(['10.1.2.3', '2001:db8::/32']);
    expect(c.rules.ddos.enabled).toBe(false);
  });

  it('the shipped config/rules.yaml is valid and equals the built-in defaults', () => {
    const text = readFileSync(resolve(__dirname, '../../../../config/rules.yaml'), 'utf8');
    expect(loadRulesConfig(text)).toEqual(loadRulesConfig());
  });

  it.each([
    ['a misspelt threshold', 'rules:\n  port_scan:\n    minPort: 5\n', /rules\.port_scan.*minPort/],
    ['an unknown rule', 'rules:\n  worm: {}\n', /rules.*worm/],
    ['a negative window', 'rules:\n  syn_flood:\n    windowS: -1\n', /rules\.syn_flood\.windowS/],
    ['a bad CIDR in an allow list', 'rules:\n  host_sweep:\n    allowSources: [10.0.0.0/33]\n', /allowSources\.0: expected an IP address or CIDR block/],
    ['a bad severity', 'rules:\n  ddos:\n    severity: urgent\n', /rules\.ddos\.severity/],
    ['a ratio above 1', 'rules:\n  port_scan:\n    maxAnsweredRatio: 2\n', /maxAnsweredRatio/],
  ])('rejects %s with a clear message', (_name, yaml, message) => {
    const r = parseRulesConfig(yaml);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('RULES.SCHEMA_INVALID');
      expect(r.reason).toMatch(message);
    }
    expect(() => loadRulesConfig(yaml)).toThrow(RulesConfigError);
  });

  it('reports broken YAML as RULES.YAML_INVALID', () => {
    const r = parseRulesConfig('rules: [unclosed');
    expect(r).toMatchObject({ ok: false, code: 'RULES.YAML_INVALID' });
  });
});
