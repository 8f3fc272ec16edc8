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
});
