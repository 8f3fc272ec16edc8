import { AlertV1, StatsV1 } from '@netsentry/contracts';
import { loadRulesConfig } from './config';
import { RuleEngine } from './rule.engine';

const pb = (packets: number) => ({ packets, bytes: packets * 60 });
const ports = (items: number[]) => ({ n: items.length, exact: true, k: 128, items, overflow: 0 });
const ips = (items: string[]) => ({ n: items.length, exact: true, k: 1024, items, overflow: 0 });

/** A destination partial: `syns` SYNs to port 80 from `src`. */
function synPartial(instance: string, start: number, syns: number, src = '192.0.2.7', dst = '10.9.9.9'): StatsV1 {
  const s: StatsV1 = {
    sensor: 's1',
    instance,
    start,
    intervalS: 1,
    entity: {
      kind: 'destination',
      ip: dst,
      packets: syns,
      bytes: syns * 60,
      protocols: { tcp: pb(syns), udp: pb(0), icmp: pb(0), icmpv6: pb(0), arp: pb(0), other: pb(0) },
      syns,
      handshakes: 0,
      synPorts: ports([80]),
      udpPorts: ports([]),
      udpAnswers: 0,
      icmpAnswers: 0,
      attackers: { exact: true, k: 1024, n: 1, items: [{ ip: src, packets: syns }] },
      sources: ips([src]),
    },
  };
  expect(StatsV1.safeParse(s).success).toBe(true);
  return s;
}

function engine() {
  const alerts: { alert: AlertV1; change: string }[] = [];
  const e = new RuleEngine(loadRulesConfig(), (alert, change) => alerts.push({ alert, change }));
  return { e, alerts };
}

describe('RuleEngine', () => {
  it('merges the partials of one interval from two instances before the rules see them', () => {
    const { e, alerts } = engine();
    e.onStats(synPartial('agg-1', 100, 60));
    e.onStats(synPartial('agg-2', 100, 60, '192.0.2.8'));
    e.advance(101);
    expect(alerts.map((a) => `${a.change} ${a.alert.type} ${a.alert.targets}`)).toEqual(['new syn_flood 10.9.9.9']);
    expect(alerts[0].alert.evidence[0]).toMatchObject({ metric: 'syns_without_handshake', value: 120 });
    expect(alerts[0].alert.sources.sort()).toEqual(['192.0.2.7', '192.0.2.8']);
    expect(alerts[0].alert).toMatchObject({ start: 100, end: 101, sensor: 's1', rule: 'syn_flood@3' });
  });

  it('one instance alone stays under the threshold', () => {
    const { e, alerts } = engine();
    e.onStats(synPartial('agg-1', 100, 60));
    e.flush();
    expect(alerts).toEqual([]);
  });

  it('evaluates an interval once it is latenessS older than the newest, and drops later partials (counted)', () => {
    const { e, alerts } = engine();
    e.onStats(synPartial('agg-1', 100, 60));
    e.onStats(synPartial('agg-1', 101, 1, '192.0.2.7', '10.1.1.1'));
    expect(e.counters.intervals).toBe(0); // interval 100 may still get partials (lateness 2 s)
    e.onStats(synPartial('agg-1', 102, 1, '192.0.2.7', '10.1.1.1'));
    expect(e.counters.intervals).toBe(1); // newest end 103 - 2 = 101: interval [100, 101) is done
    e.onStats(synPartial('agg-2', 100, 60));
    expect(e.counters.late).toBe(1);
    e.flush();
    expect(alerts).toEqual([]);
  });

  it('accepts partials in any order within the lateness allowance', () => {
    const { e, alerts } = engine();
    e.onStats(synPartial('agg-1', 101, 1, '192.0.2.7', '10.1.1.1'));
    e.onStats(synPartial('agg-2', 100, 60));
    e.onStats(synPartial('agg-1', 100, 60, '192.0.2.8'));
    e.flush();
    expect(alerts.map((a) => a.alert.type)).toEqual(['syn_flood']);
    expect(e.counters.late).toBe(0);
  });

  it('a redelivered partial replaces the first copy instead of counting twice', () => {
    const { e, alerts } = engine();
    e.onStats(synPartial('agg-1', 100, 60));
    e.onStats(synPartial('agg-1', 100, 60));
    e.flush();
    expect(e.counters.replaced).toBe(1);
    expect(alerts).toEqual([]);
  });

  it('keeps sensors apart', () => {
    const { e, alerts } = engine();
    e.onStats(synPartial('agg-1', 100, 60));
    e.onStats({ ...synPartial('agg-2', 100, 60), sensor: 's2' });
    e.flush();
    expect(alerts).toEqual([]);
  });

  it('does not run disabled rules', () => {
    const alerts: AlertV1[] = [];
    const e = new RuleEngine(loadRulesConfig('rules: { syn_flood: { enabled: false } }'), (a) => alerts.push(a));
    e.onStats(synPartial('agg-1', 100, 500));
    e.flush();
    expect(alerts).toEqual([]);
  });
});
