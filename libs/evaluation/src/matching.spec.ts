import { alertMatches, alertMistyped, endpointsMatch, flowAttack } from './matching';
import { T0, alert, attack } from './fixtures.testing';

const WEB = '10.66.0.10';
const scan = attack({ id: 'scan', type: 'port_scan', sources: ['10.66.0.31'], targets: [WEB], start: T0 + 100, end: T0 + 110 });
const ddos = attack({ id: 'ddos', type: 'ddos', sources: ['10.66.0.41', '10.66.0.42', '10.66.0.43', '10.66.0.44'], targets: [WEB], start: T0 + 300, end: T0 + 303 });
const syn = attack({ id: 'syn', type: 'syn_flood', sources: ['10.66.0.34'], targets: [WEB], start: T0 + 200, end: T0 + 205 });

describe('alert ↔ attack matching', () => {
  it('matches type, endpoints and an overlapping window', () => {
    expect(alertMatches(alert({ type: 'port_scan', sources: ['10.66.0.31'], targets: [WEB], start: T0 + 101, end: T0 + 104 }), scan)).toBe(true);
  });

  it('an alert that starts before the attack still matches when the windows overlap', () => {
    expect(alertMatches(alert({ type: 'port_scan', sources: ['10.66.0.31'], targets: [WEB], start: T0 + 90, end: T0 + 100.5 }), scan)).toBe(true);
  });

  it('an alert entirely before or after the attack (beyond the slack) does not match', () => {
    expect(alertMatches(alert({ type: 'port_scan', sources: ['10.66.0.31'], targets: [WEB], start: T0 + 80, end: T0 + 98.9 }), scan)).toBe(false);
    expect(alertMatches(alert({ type: 'port_scan', sources: ['10.66.0.31'], targets: [WEB], start: T0 + 111.2, end: T0 + 120 }), scan)).toBe(false);
    // within the default one-second slack
    expect(alertMatches(alert({ type: 'port_scan', sources: ['10.66.0.31'], targets: [WEB], start: T0 + 110.8, end: T0 + 120 }), scan)).toBe(true);
    expect(alertMatches(alert({ type: 'port_scan', sources: ['10.66.0.31'], targets: [WEB], start: T0 + 110.8, end: T0 + 120 }), scan, { slackSeconds: 0 })).toBe(false);
  });

  it('the wrong type, source or target does not match', () => {
    expect(alertMatches(alert({ type: 'host_sweep', sources: ['10.66.0.31'], targets: [WEB], start: T0 + 101, end: T0 + 104 }), scan)).toBe(false);
    expect(alertMatches(alert({ type: 'port_scan', sources: ['10.66.0.32'], targets: [WEB], start: T0 + 101, end: T0 + 104 }), scan)).toBe(false);
    expect(alertMatches(alert({ type: 'port_scan', sources: ['10.66.0.31'], targets: ['10.66.0.11'], start: T0 + 101, end: T0 + 104 }), scan)).toBe(false);
  });

  it('per-source alerts without targets and per-destination alerts without sources still match', () => {
    expect(endpointsMatch({ type: 'port_scan', sources: ['10.66.0.31'], targets: [] }, scan)).toBe(true);
    expect(endpointsMatch({ type: 'syn_flood', sources: [], targets: [WEB] }, syn)).toBe(true);
    expect(endpointsMatch({ type: 'syn_flood', sources: ['10.66.0.99'], targets: [WEB] }, syn)).toBe(false);
  });

  describe('DDoS with partial sources', () => {
    const at = { type: 'ddos' as const, targets: [WEB], start: T0 + 300, end: T0 + 302 };
    it('counts when the alert names at least half of the sources', () => {
      expect(alertMatches(alert({ ...at, sources: ['10.66.0.41', '10.66.0.42'] }), ddos)).toBe(true);
      expect(alertMatches(alert({ ...at, sources: ['10.66.0.41', '10.66.0.42', '10.66.0.43', '10.66.0.44'] }), ddos)).toBe(true);
    });
    it('does not count with fewer than half named and no truncation', () => {
      expect(alertMatches(alert({ ...at, sources: ['10.66.0.41'] }), ddos)).toBe(false);
    });
    it('counts a truncated list (sourceCount) that names real sources', () => {
      expect(alertMatches(alert({ ...at, sources: ['10.66.0.41'], sourceCount: 4 }), ddos)).toBe(true);
      expect(alertMatches(alert({ ...at, sources: ['10.66.0.41'], sourceCount: 1 }), ddos)).toBe(false);
    });
    it('does not count when most named sources are not attackers', () => {
      expect(alertMatches(alert({ ...at, sources: ['10.66.0.41', '10.66.0.42', '10.66.0.21', '10.66.0.22', '10.66.0.23'] }), ddos)).toBe(false);
    });
    it('the share is tunable', () => {
      expect(alertMatches(alert({ ...at, sources: ['10.66.0.41'] }), ddos, { ddosMinSourceShare: 0.25 })).toBe(true);
    });
    it('a per-destination flood alert during the DDoS is mistyped, not a detection', () => {
      const a = alert({ type: 'syn_flood', sources: ['10.66.0.41'], targets: [WEB], start: T0 + 300.5, end: T0 + 302 });
      expect(alertMatches(a, ddos)).toBe(false);
      expect(alertMistyped(a, ddos)).toBe(true);
    });
  });

  it('treats IPv4-mapped IPv6 text as the IPv4 address', () => {
    expect(alertMatches(alert({ type: 'port_scan', sources: ['::ffff:10.66.0.31'], targets: ['::FFFF:10.66.0.10'], start: T0 + 101, end: T0 + 104 }), scan)).toBe(true);
    expect(flowAttack({ srcIp: '::ffff:10.66.0.31', dstIp: WEB, start: T0 + 105, end: T0 + 105 }, [scan])?.id).toBe('scan');
  });

  it('labels flows by endpoints (either direction) and time', () => {
    const attacks = [scan, ddos];
    expect(flowAttack({ srcIp: '10.66.0.31', dstIp: WEB, start: T0 + 105, end: T0 + 105 }, attacks)?.id).toBe('scan');
    expect(flowAttack({ srcIp: WEB, dstIp: '10.66.0.43', start: T0 + 299.5, end: T0 + 300.2 }, attacks)?.id).toBe('ddos');
    expect(flowAttack({ srcIp: '10.66.0.31', dstIp: WEB, start: T0 + 150, end: T0 + 151 }, attacks)).toBeNull();
    expect(flowAttack({ srcIp: '10.66.0.21', dstIp: WEB, start: T0 + 105, end: T0 + 106 }, attacks)).toBeNull();
  });
});
