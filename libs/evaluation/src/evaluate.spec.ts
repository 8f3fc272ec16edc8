import { alertParts, evaluate } from './evaluate';
import { formatReport, reportJson } from './report';
import { T0, alert, attack, flow, truthOf } from './fixtures.testing';
import type { AnomalyV1 } from '@netsentry/contracts';

const WEB = '10.66.0.10';
const FILES = '10.66.0.11';
const truth = truthOf([
  attack({ id: 'scan-1', type: 'port_scan', sources: ['10.66.0.31'], targets: [WEB], start: T0 + 100, end: T0 + 110 }),
  attack({ id: 'scan-2', type: 'port_scan', sources: ['10.66.0.31'], targets: [WEB], start: T0 + 120, end: T0 + 125 }),
  attack({ id: 'syn', type: 'syn_flood', sources: ['10.66.0.34'], targets: [WEB], start: T0 + 200, end: T0 + 205 }),
  attack({ id: 'ddos', type: 'ddos', sources: ['10.66.0.41', '10.66.0.42', '10.66.0.43'], targets: [WEB], start: T0 + 300, end: T0 + 303 }),
  attack({ id: 'exfil', type: 'large_transfer', sources: ['10.66.0.35'], targets: [FILES], start: T0 + 400, end: T0 + 405 }),
]);

describe('evaluate', () => {
  const alerts = [
    // one alert covering both scans, starting before the first
    alert({ id: 'a-scan', type: 'port_scan', sources: ['10.66.0.31'], targets: [WEB], start: T0 + 99, end: T0 + 124 }),
    alert({ id: 'a-syn', type: 'syn_flood', sources: ['10.66.0.34'], targets: [WEB], start: T0 + 201.5, end: T0 + 205 }),
    alert({ id: 'a-syn-late', type: 'syn_flood', sources: [], targets: [WEB], start: T0 + 203, end: T0 + 204 }),
    // DDoS with two of three sources named
    alert({ id: 'a-ddos', type: 'ddos', sources: ['10.66.0.42', '10.66.0.43'], targets: [WEB], start: T0 + 300.25, end: T0 + 303 }),
    alert({ id: 'a-mistyped', type: 'udp_flood', sources: ['10.66.0.41'], targets: [WEB], start: T0 + 301, end: T0 + 302 }),
    // false: benign client, and the right pair at the wrong time
    alert({ id: 'a-false-1', type: 'port_scan', sources: ['10.66.0.21'], targets: [WEB], start: T0 + 50, end: T0 + 60 }),
    alert({ id: 'a-false-2', type: 'syn_flood', sources: ['10.66.0.34'], targets: [WEB], start: T0 + 500, end: T0 + 501 }),
  ];
  const r = evaluate({ truth, alerts });
  const byId = Object.fromEntries(r.attacks.map((a) => [a.id, a]));

  it('one alert covering two attacks detects both, with the delay clamped at 0', () => {
    expect(byId['scan-1']).toMatchObject({ detected: true, delaySeconds: 0, rawDelaySeconds: -1, alertIds: ['a-scan'] });
    expect(byId['scan-2']).toMatchObject({ detected: true, delaySeconds: 0, alertIds: ['a-scan'] });
    expect(byId['scan-2'].rawDelaySeconds).toBeCloseTo(-21, 9);
  });

  it('the delay is from the attack start to the earliest matching alert start', () => {
    expect(byId['syn'].detected).toBe(true);
    expect(byId['syn'].delaySeconds).toBeCloseTo(1.5, 9);
    expect(byId['syn'].alertIds.sort()).toEqual(['a-syn', 'a-syn-late']);
    expect(byId['ddos'].delaySeconds).toBeCloseTo(0.25, 9);
  });

  it('a missed attack is reported as not detected', () => {
    expect(byId['exfil']).toMatchObject({ detected: false, delaySeconds: null, alertIds: [] });
  });

  it('false and mistyped alerts are told apart', () => {
    expect(r.falseAlerts.map((a) => a.id).sort()).toEqual(['a-false-1', 'a-false-2']);
    expect(r.mistypedAlerts.map((a) => a.id)).toEqual(['a-mistyped']);
    expect(byId['ddos'].mistypedAlertIds).toEqual(['a-mistyped']);
  });

  it('summarises per type and overall', () => {
    expect(r.byType.port_scan).toMatchObject({ attacks: 2, detected: 2, detectionRate: 1, alerts: 2, falseAlerts: 1 });
    expect(r.byType.syn_flood).toMatchObject({ attacks: 1, detected: 1, alerts: 3, falseAlerts: 1 });
    expect(r.byType.large_transfer).toMatchObject({ attacks: 1, detected: 0, detectionRate: 0, meanDelaySeconds: null });
    expect(r.byType.udp_flood).toMatchObject({ attacks: 0, detectionRate: null, alerts: 1, falseAlerts: 0 });
    expect(r.overall).toMatchObject({ attacks: 5, detected: 4, detectionRate: 0.8, alerts: 7, falseAlerts: 2 });
    expect(r.overall.alertPrecision).toBeCloseTo(4 / 7, 12);
    expect(r.overall.meanDelaySeconds).toBeCloseTo((0 + 0 + 1.5 + 0.25) / 4, 12);
    expect(r.byType.port_scan!.flows).toBeNull();
  });

  it('scores flows: attack-labelled vs benign, per type and overall', () => {
    const scoredFlows = [
      { flow: flow({ srcIp: '10.66.0.31', dstIp: WEB, start: T0 + 101, end: T0 + 101 }), score: 0.9 },
      { flow: flow({ srcIp: '10.66.0.31', dstIp: WEB, start: T0 + 121, end: T0 + 121 }), score: 0.4 },
      { flow: flow({ srcIp: '10.66.0.35', dstIp: FILES, start: T0 + 400, end: T0 + 405 }), score: 0.8 },
      { flow: flow({ srcIp: '10.66.0.21', dstIp: WEB, start: T0 + 10, end: T0 + 20 }), score: 0.5 },
      { flow: flow({ srcIp: '10.66.0.22', dstIp: WEB, start: T0 + 101, end: T0 + 130 }), score: 0.2 },
      { flow: flow({ srcIp: '10.66.0.31', dstIp: WEB, start: T0 + 150, end: T0 + 151 }), score: 0.1 },
    ];
    const s = evaluate({ truth, alerts: [], scoredFlows });
    // overall: positives 0.9, 0.8, 0.4; negatives 0.5, 0.2, 0.1 -> 8 of 9 pairs
    expect(s.overall.flows).toMatchObject({ positives: 3, negatives: 3 });
    expect(s.overall.flows!.rocAuc).toBeCloseTo(8 / 9, 12);
    expect(s.overall.flows!.averagePrecision).toBeCloseTo((1 / 3) * 1 + (1 / 3) * 1 + (1 / 3) * (3 / 4), 12);
    expect(s.overall.flows!.bestF1!.f1).toBeCloseTo(6 / 7, 12);
    // port scans alone: positives 0.9, 0.4 vs the same negatives -> 5 of 6
    expect(s.byType.port_scan!.flows).toMatchObject({ positives: 2, negatives: 3 });
    expect(s.byType.port_scan!.flows!.rocAuc).toBeCloseTo(5 / 6, 12);
    expect(s.byType.large_transfer!.flows!.rocAuc).toBe(1);
  });

  it('counts anomalies on attack flows and on benign flows', () => {
    const an = (srcIp: string, dstIp: string, start: number): AnomalyV1 => ({
      id: `an-${srcIp}-${start}`,
      flowId: 'f',
      sensor: 'lab',
      proto: 6,
      srcIp,
      srcPort: 1,
      dstIp,
      dstPort: 2,
      start,
      end: start + 1,
      score: 0.8,
      severity: 'medium',
      model: { id: 'm', version: 1 },
      topFeatures: [],
    });
    const s = evaluate({ truth, alerts: [], anomalies: [an('10.66.0.35', FILES, T0 + 401), an(FILES, '10.66.0.35', T0 + 402), an('10.66.0.21', WEB, T0 + 30)] });
    expect(s.overall.anomalies).toEqual({ total: 3, matching: 2, falseAnomalies: 1, precision: 2 / 3, attacksWithAnomaly: 1 });
    expect(s.attacks.find((a) => a.id === 'exfil')!.anomalies).toBe(2);
  });

  it('renders a table for people and JSON for machines', () => {
    const text = formatReport(r);
    expect(text).toMatch(/scan-1\s+port_scan\s+yes\s+0\.00/);
    expect(text).toMatch(/exfil\s+large_transfer\s+NO/);
    expect(text).toMatch(/overall\s+4\/5\s+80%/);
    expect(text).toContain('false alert a-false-1');
    const back = JSON.parse(reportJson(r));
    expect(back.overall.detected).toBe(4);
    expect(back.attacks).toHaveLength(5);
  });

  it('an empty alert list detects nothing and has no precision', () => {
    const e = evaluate({ truth, alerts: [] });
    expect(e.overall).toMatchObject({ detected: 0, alerts: 0, alertPrecision: null, anomalies: null });
    expect(e.absorbedAlerts).toEqual([]);
  });
});

/*
 * A flood alert raised before the ddos alert on its target took it in is closed with
 * supersededBy = the ddos alert's id (libs/detection RULES.md, One DDoS, one alert): one attack,
 * one alert, and so one alert for the evaluation too.
 */
describe('evaluate: an alert closed as part of another (supersededBy)', () => {
  const ddosAlert = alert({ id: 'd', type: 'ddos', sources: ['10.66.0.41', '10.66.0.42'], targets: [WEB], start: T0 + 300.25, end: T0 + 303 });
  const floodFirst = alert({ id: 'u', type: 'udp_flood', sources: ['10.66.0.41'], targets: [WEB], start: T0 + 299, end: T0 + 301, supersededBy: 'd' });

  it('is neither mistyped nor false nor a second detection: the DDoS has one alert, precision 100%', () => {
    const r = evaluate({ truth, alerts: [floodFirst, ddosAlert] });
    const ddos = r.attacks.find((a) => a.id === 'ddos')!;
    expect(ddos).toMatchObject({ detected: true, alertIds: ['d'], mistypedAlertIds: [] });
    // The delay is the ddos alert's: the flood alert is not of the attack's type.
    expect(ddos.delaySeconds).toBeCloseTo(0.25, 9);
    expect(r.mistypedAlerts).toEqual([]);
    expect(r.falseAlerts).toEqual([]);
    expect(r.absorbedAlerts).toEqual([{ id: 'u', type: 'udp_flood', sources: ['10.66.0.41'], targets: [WEB], start: T0 + 299, end: T0 + 301, supersededBy: 'd', partOf: 'd' }]);
    expect(r.overall).toMatchObject({ alerts: 1, falseAlerts: 0, alertPrecision: 1 });
    expect(r.byType.ddos).toMatchObject({ alerts: 1, falseAlerts: 0, detected: 1 });
    // No udp_flood attack and no udp_flood alert of its own: no udp_flood row.
    expect(r.byType.udp_flood).toBeUndefined();
    const text = formatReport(r);
    expect(text).toContain('alert precision: 100%; false alerts: 0; mistyped alerts: 0; part of another alert: 1');
    expect(text).toContain('alert u (udp_flood) is part of d: counted with it');
  });

  it('the same flood alert without supersededBy is mistyped, as before', () => {
    const { supersededBy: _s, ...plain } = floodFirst;
    const r = evaluate({ truth, alerts: [plain, ddosAlert] });
    expect(r.mistypedAlerts.map((a) => a.id)).toEqual(['u']);
    expect(r.overall).toMatchObject({ alerts: 2, alertPrecision: 0.5 });
    expect(formatReport(r)).toContain('alert precision: 50%; false alerts: 0; mistyped alerts: 1\n');
  });

  it('detects an attack of its own type through the alert it is part of', () => {
    const syn = alert({ id: 's', type: 'syn_flood', sources: ['10.66.0.34'], targets: [WEB], start: T0 + 200.5, end: T0 + 203, supersededBy: 'd2' });
    const d2 = alert({ id: 'd2', type: 'ddos', sources: ['10.66.0.34', '10.66.0.77'], targets: [WEB], start: T0 + 201, end: T0 + 206 });
    const r = evaluate({ truth, alerts: [syn, d2] });
    expect(r.attacks.find((a) => a.id === 'syn')).toMatchObject({ detected: true, alertIds: ['d2'] });
    expect(r.attacks.find((a) => a.id === 'syn')!.delaySeconds).toBeCloseTo(0.5, 9);
    expect(r.falseAlerts).toEqual([]);
    expect(r.overall).toMatchObject({ alerts: 1, alertPrecision: 1 });
  });

  it('a link to an alert that is not in the list leaves the alert on its own', () => {
    const r = evaluate({ truth, alerts: [{ ...floodFirst, supersededBy: 'elsewhere' }, ddosAlert] });
    expect(r.mistypedAlerts.map((a) => a.id)).toEqual(['u']);
    expect(r.absorbedAlerts).toEqual([]);
  });

  it('follows a chain of links to its end; a loop leaves its alerts on their own', () => {
    const a = (id: string, supersededBy?: string) => alert({ id, type: 'udp_flood', sources: [], targets: [WEB], start: T0, end: T0 + 1, supersededBy });
    expect([...alertParts([a('x', 'y'), a('y', 'z'), a('z')])]).toEqual([['x', 'z'], ['y', 'z'], ['z', 'z']]);
    expect([...alertParts([a('p', 'q'), a('q', 'p'), a('r', 'p'), a('t', 't')])]).toEqual([['p', 'p'], ['q', 'q'], ['r', 'r'], ['t', 't']]);
  });
});

/*
 * A flood taken into a ddos alert that was open before the flood's own threshold was crossed
 * never opens a flood alert, so nothing carries supersededBy; the ddos alert lists the type in
 * `includes` (libs/detection RULES.md, One DDoS, one alert).
 */
describe('evaluate: an alert that took another type in (includes)', () => {
  const d3 = alert({ id: 'd3', type: 'ddos', sources: ['10.66.0.34', '10.66.0.77', '10.66.0.78'], targets: [WEB], start: T0 + 199.5, end: T0 + 206, includes: ['syn_flood'] });

  it('detects an attack of the type it includes, by that type’s endpoint rule, and is neither false nor mistyped', () => {
    const r = evaluate({ truth, alerts: [d3] });
    expect(r.attacks.find((a) => a.id === 'syn')).toMatchObject({ detected: true, alertIds: ['d3'], mistypedAlertIds: [], delaySeconds: 0 });
    expect(r.falseAlerts).toEqual([]);
    expect(r.mistypedAlerts).toEqual([]);
    expect(r.overall).toMatchObject({ alerts: 1, alertPrecision: 1 });
    // It detects no attack of a type it neither is nor includes, nor one whose target it does not name.
    expect(r.attacks.filter((a) => a.detected).map((a) => a.id)).toEqual(['syn']);
    const elsewhere = evaluate({ truth, alerts: [{ ...d3, targets: [FILES] }] });
    expect(elsewhere.attacks.find((a) => a.id === 'syn')!.detected).toBe(false);
  });

  it('without includes the same alert is mistyped and the flood missed, as before', () => {
    const { includes: _i, ...plain } = d3;
    const r = evaluate({ truth, alerts: [plain] });
    expect(r.attacks.find((a) => a.id === 'syn')!.detected).toBe(false);
    expect(r.mistypedAlerts.map((a) => a.id)).toEqual(['d3']);
  });

  it('includes of another type detects nothing', () => {
    const r = evaluate({ truth, alerts: [{ ...d3, includes: ['icmp_flood'] }] });
    expect(r.attacks.find((a) => a.id === 'syn')!.detected).toBe(false);
    expect(r.mistypedAlerts.map((a) => a.id)).toEqual(['d3']);
  });
});
