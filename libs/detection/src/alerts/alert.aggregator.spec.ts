import { AlertV1 } from '@netsentry/contracts';
import { AlertAggregator, alertId } from './alert.aggregator';
import type { Finding } from './finding';

function finding(end: number, value: number, over: Partial<Finding> = {}): Finding {
  return {
    type: 'port_scan',
    rule: 'port_scan@1',
    sensor: 's1',
    severity: 'medium',
    key: { sources: ['10.0.0.1'], targets: ['10.0.0.2'] },
    sources: ['10.0.0.1'],
    targets: ['10.0.0.2'],
    start: 100,
    end,
    summary: `scan with ${value} ports`,
    evidence: [{ metric: 'distinct_dst_ports', value, threshold: 20, op: '>=', windowSeconds: 60 }],
    ...over,
  };
}

describe('AlertAggregator', () => {
  it('turns a run of findings into one alert, updated at most every updateEveryS, closed after quietS', () => {
    const out: { change: string; alert: AlertV1 }[] = [];
    const agg = new AlertAggregator({ quietS: 30, updateEveryS: 5 }, (alert, change) => out.push({ change, alert }));
    for (let t = 101; t <= 120; t++) { agg.report(finding(t, 20 + t - 101)); agg.tick(t); }
    expect(out[0].change).toBe('new');
    expect(out.every((e) => e.alert.id === out[0].alert.id)).toBe(true);
    const updates = out.filter((e) => e.change === 'update');
    expect(updates.length).toBe(3); // at 106, 111, 116
    agg.tick(149);
    expect(agg.openCount).toBe(1);
    agg.tick(150); // 30 s after the last finding: pending change sent, alert closed
    expect(agg.openCount).toBe(0);
    const last = out[out.length - 1].alert;
    expect(last.end).toBe(120);
    expect(last.evidence[0].value).toBe(39);
    expect(last.summary).toBe('scan with 39 ports');
    for (const e of out) expect(AlertV1.safeParse(e.alert).success).toBe(true);
    // The same attack after the quiet period is a new alert with a new id.
    agg.report(finding(200, 25, { start: 170 }));
    expect(out[out.length - 1].change).toBe('new');
    expect(out[out.length - 1].alert.id).not.toBe(out[0].alert.id);
  });

  it('keeps the peak evidence and the highest severity, and counts listed addresses', () => {
    const out: AlertV1[] = [];
    const agg = new AlertAggregator({ updateEveryS: 0, maxListed: 2 }, (a) => out.push(a));
    const key = { sources: [], targets: ['10.9.9.9'] };
    agg.report(finding(101, 500, { type: 'syn_flood', key, sources: ['1.1.1.1', '2.2.2.2'], targets: ['10.9.9.9'], sourceCount: 2 }));
    agg.report(finding(102, 300, { type: 'syn_flood', key, sources: ['3.3.3.3'], targets: ['10.9.9.9'], severity: 'high', sourceCount: 3 }));
    const a = out[out.length - 1];
    expect(a.evidence[0].value).toBe(500);
    expect(a.severity).toBe('high');
    expect(a.sources).toHaveLength(2);
    expect(a.sourceCount).toBe(3);
    expect(a.end).toBe(102);
  });

  it('derives the id only from sensor, type, identity and first window start', () => {
    const k = { sources: ['10.0.0.1'], targets: ['10.0.0.2'] };
    expect(alertId('s1', 'port_scan', k, 100)).toBe(alertId('s1', 'port_scan', { ...k }, 100));
    expect(alertId('s1', 'port_scan', k, 100)).not.toBe(alertId('s1', 'port_scan', k, 101));
    expect(alertId('s1', 'port_scan', k, 100)).not.toBe(alertId('s2', 'port_scan', k, 100));
    expect(alertId('s1', 'port_scan', k, 100)).toMatch(/^port_scan-[0-9a-f]{32}$/);
  });

  describe('an alert type that absorbs others (ddos takes in the floods of its target)', () => {
    const key = { sources: [], targets: ['10.9.9.9'] };
    const absorbs = { ddos: ['syn_flood', 'udp_flood', 'icmp_flood'] } as const;
    const ddos = (end: number, pps: number, over: Partial<Finding> = {}) =>
      finding(end, pps, { type: 'ddos', rule: 'ddos@4', severity: 'critical', key, sources: ['1.1.1.1', '2.2.2.2'], targets: ['10.9.9.9'], summary: `ddos at ${pps}/s`, evidence: [{ metric: 'packets_per_second', value: pps, threshold: 100, op: '>=', windowSeconds: 10 }], ...over });
    const syn = (end: number, syns: number, over: Partial<Finding> = {}) =>
      finding(end, syns, { type: 'syn_flood', rule: 'syn_flood@3', severity: 'high', key, sources: ['1.1.1.1'], targets: ['10.9.9.9'], summary: `${syns} SYNs`, evidence: [{ metric: 'syns_without_handshake', value: syns, threshold: 100, op: '>=', windowSeconds: 10 }], ...over });
    const run = () => {
      const out: { change: string; alert: AlertV1 }[] = [];
      const agg = new AlertAggregator({ quietS: 30, updateEveryS: 0, absorbs }, (alert, change) => out.push({ change, alert }));
      return { out, agg, lines: () => out.map((e) => `${e.change} ${e.alert.type}${e.alert.supersededBy ? ` part of ${e.alert.supersededBy.split('-')[0]}` : ''}`) };
    };

    it('while a ddos alert is open, flood findings on its target update it (figures, end) instead of opening their own', () => {
      const { out, agg, lines } = run();
      agg.report(ddos(101, 300));
      agg.report(syn(101, 2000));
      agg.report(syn(102, 3000, { sources: ['3.3.3.3'] }));
      agg.report(syn(103, 2500));
      agg.tick(110);
      expect(lines()).toEqual(['new ddos', 'update ddos', 'update ddos', 'update ddos']); // figures at 101, 102; end at 103
      const last = out[out.length - 1].alert;
      expect(last.evidence.map((e) => [e.metric, e.value])).toEqual([['packets_per_second', 300], ['syns_without_handshake', 3000]]);
      expect(last.summary).toBe('ddos at 300/s Includes syn_flood: 3000 SYNs');
      expect(last.includes).toEqual(['syn_flood']);
      expect(out[0].alert.includes).toBeUndefined(); // the ddos alert before any flood finding
      expect(last.end).toBe(103);
      expect(last.sources).toEqual(['1.1.1.1', '2.2.2.2', '3.3.3.3']);
      expect(last.severity).toBe('critical');
      // A new ddos peak keeps the flood's figures after its own.
      agg.report(ddos(104, 500));
      expect(out[out.length - 1].alert.evidence.map((e) => e.value)).toEqual([500, 3000]);
      // Flood findings keep the incident open: 30 s after the last ddos finding it is still open.
      agg.report(syn(130, 200));
      agg.tick(134 + 1);
      expect(agg.openCount).toBe(1);
      agg.tick(160);
      expect(agg.openCount).toBe(0);
      expect(out.every((e) => AlertV1.safeParse(e.alert).success)).toBe(true);
      // After the ddos alert closed, a flood on the target is an alert of its own again.
      agg.report(syn(200, 400));
      expect(lines().slice(-1)).toEqual(['new syn_flood']);
    });

    it('a flood alert opened before the ddos threshold was crossed is closed as part of the ddos alert, which carries its figures', () => {
      const { out, agg, lines } = run();
      agg.report(syn(100, 800, { start: 95 }));
      agg.report(syn(101, 1200, { start: 95 }));
      agg.report(ddos(102, 250));
      expect(lines()).toEqual(['new syn_flood', 'update syn_flood', 'new ddos', 'update syn_flood part of ddos']);
      const [flood, opened] = [out[3].alert, out[2].alert];
      expect(flood.supersededBy).toBe(opened.id);
      expect(flood.evidence[0].value).toBe(1200);
      expect(opened.evidence.map((e) => [e.metric, e.value])).toEqual([['packets_per_second', 250], ['syns_without_handshake', 1200]]);
      expect(opened.summary).toBe('ddos at 250/s Includes syn_flood: 1200 SYNs');
      expect(opened.includes).toEqual(['syn_flood']);
      expect(flood.includes).toBeUndefined();
      expect(agg.openCount).toBe(1);
      agg.report(syn(103, 1500));
      expect(lines().slice(-1)).toEqual(['update ddos']);
      expect(out[out.length - 1].alert.evidence[1].value).toBe(1500);
      // A second flood kind follows the first, in the rule's order, whatever order they came in.
      agg.report(finding(104, 900, { type: 'icmp_flood', rule: 'icmp_flood@3', severity: 'high', key, sources: ['1.1.1.1'], targets: ['10.9.9.9'], summary: '900 echo/s', evidence: [{ metric: 'icmp_packets_per_second', value: 900, threshold: 500, op: '>=', windowSeconds: 10 }] }));
      const last = out[out.length - 1].alert;
      expect(last.includes).toEqual(['syn_flood', 'icmp_flood']);
      expect(AlertV1.parse(last).includes).toEqual(['syn_flood', 'icmp_flood']);
    });

    it('leaves other targets, other sensors and types it does not absorb alone', () => {
      const { agg, lines } = run();
      agg.report(ddos(101, 300));
      agg.report(syn(101, 2000, { key: { sources: [], targets: ['10.9.9.8'] }, targets: ['10.9.9.8'] }));
      agg.report(syn(101, 2000, { sensor: 's2' }));
      agg.report(finding(101, 30, { key: { sources: ['1.1.1.1'], targets: ['10.9.9.9'] } }));
      expect(lines()).toEqual(['new ddos', 'new syn_flood', 'new syn_flood', 'new port_scan']);
    });

    it('absorbs nothing without the option', () => {
      const out: string[] = [];
      const agg = new AlertAggregator({ updateEveryS: 0 }, (a, change) => out.push(`${change} ${a.type}`));
      agg.report(syn(100, 800));
      agg.report(ddos(101, 250));
      agg.report(syn(101, 900));
      expect(out).toEqual(['new syn_flood', 'new ddos', 'update syn_flood']);
    });
  });
});
