import { OVERFLOW_TARGET, RateLimiter, targetKey } from './rate-limiter';
import { alert } from './notifications.fixtures';

describe('RateLimiter', () => {
  let t = 0;
  const now = (): number => t;

  it('sends the first alert per (type, target), holds the rest, digests them after the interval', () => {
    t = 0;
    const rl = new RateLimiter(60_000, now);
    expect(rl.offer(alert({ id: 'a' }))).toBe('send');
    expect(rl.offer(alert({ id: 'b' }))).toBe('held');
    expect(rl.offer(alert({ id: 'c', type: 'syn_flood' }))).toBe('send'); // other rule type
    expect(rl.offer(alert({ id: 'd', targets: ['10.0.0.10'] }))).toBe('send'); // other target
    expect(rl.offer(alert({ id: 'b', end: 1_700_000_050 }))).toBe('held'); // update of a held alert
    t = 59_999;
    expect(rl.due()).toEqual([]);
    t = 60_000;
    const due = rl.due();
    expect(due).toHaveLength(1);
    expect(due[0]).toMatchObject({ type: 'port_scan', target: '10.0.0.9', count: 1 });
    expect(due[0].alerts[0].end).toBe(1_700_000_050); // latest version
    // the digest started a new interval
    expect(rl.offer(alert({ id: 'e' }))).toBe('held');
    t = 120_000;
    expect(rl.due()).toHaveLength(1);
    // quiet for a whole interval: the next alert goes straight out
    t = 180_000;
    expect(rl.due()).toEqual([]);
    expect(rl.offer(alert({ id: 'f' }))).toBe('send');
  });

  it('forgets idle keys and keeps at most 100 alerts per digest while counting all', () => {
    t = 0;
    const rl = new RateLimiter(1000, now);
    rl.offer(alert({ id: 'x0' }));
    for (let i = 1; i <= 150; i++) rl.offer(alert({ id: `x${i}` }));
    t = 1000;
    const [d] = rl.due();
    expect(d.count).toBe(150);
    expect(d.alerts).toHaveLength(100);
    expect(d.alerts[99].id).toBe('x150');
    t = 5000;
    rl.due();
    expect(rl.size).toBe(0);
  });

  it('keys an alert by its first version: an update whose targets grew stays under that key', () => {
    t = 0;
    const rl = new RateLimiter(300_000, now);
    const hosts = (k: number): string[] => Array.from({ length: k }, (_, i) => `10.0.1.${i + 1}`);
    const sweep = (k: number) => alert({ id: 'sweep-1', type: 'host_sweep', targets: hosts(k), targetCount: k });
    // one host sweep, updated while it lasts (the reviewer's case: 5 immediate messages)
    expect([20, 21, 25, 40, 59].map((k) => rl.offer(sweep(k)))).toEqual(['send', 'held', 'held', 'held', 'held']);
    // another alert whose first version has the same type and targets shares the key
    expect(rl.offer(alert({ id: 'sweep-2', type: 'host_sweep', targets: hosts(20), targetCount: 20 }))).toBe('held');
    // one whose first version has other targets does not
    expect(rl.offer(alert({ id: 'sweep-3', type: 'host_sweep', targets: hosts(3) }))).toBe('send');
    t = 300_000;
    const due = rl.due();
    expect(due).toHaveLength(1);
    expect(due[0]).toMatchObject({ type: 'host_sweep', target: targetKey(sweep(20)), count: 2 });
    expect(due[0].alerts.map((a) => [a.id, a.targetCount])).toEqual([['sweep-1', 59], ['sweep-2', 20]]); // latest versions
    // quiet for an interval: the next update goes out at once, still under its first key
    t = 600_000;
    expect(rl.due()).toEqual([]);
    expect(rl.offer(sweep(70))).toBe('send');
    expect(rl.offer(sweep(71))).toBe('held');
    expect(rl.size).toBe(1); // sweep-3's key, idle for two intervals, was forgotten
  });

  it('bounds memory: keys past maxKeys go to the overflow digest, alerts past maxHeld are counted only', () => {
    t = 0;
    const rl = new RateLimiter(1000, now, { maxKeys: 3, maxHeld: 5 });
    for (let i = 0; i < 3; i++) expect(rl.offer(alert({ id: `k${i}`, targets: [`10.0.3.${i}`] }))).toBe('send');
    for (let i = 3; i < 6; i++) expect(rl.offer(alert({ id: `k${i}`, targets: [`10.0.3.${i}`] }))).toBe('held');
    for (let i = 0; i < 4; i++) rl.offer(alert({ id: `more-${i}`, targets: ['10.0.3.0'] }));
    expect(rl.size).toBe(4); // 3 keys + the overflow key of port_scan
    expect(rl.held).toBe(5);
    t = 1000;
    const due = rl.due();
    const count = (target: string) => due.find((d) => d.target === target);
    expect(count(OVERFLOW_TARGET)).toMatchObject({ count: 3 });
    expect(count('10.0.3.0')).toMatchObject({ count: 4 });
    expect(due.reduce((n, d) => n + d.alerts.length, 0)).toBe(5);
    expect(rl.held).toBe(0);
  });

  it('folds alerts and digests given back by a full queue into one overflow digest per type', () => {
    t = 0;
    const rl = new RateLimiter(1000, now);
    rl.foldAlert(alert({ id: 'x' }));
    rl.foldAlert(alert({ id: 'x', end: 1_700_000_099 })); // an update: counted once
    rl.foldDigest({ type: 'port_scan', count: 150, alerts: [alert({ id: 'y' }), alert({ id: 'z' })] });
    rl.foldAlert(alert({ id: 'f', type: 'syn_flood' }));
    expect(rl.due()).toEqual([]); // an overflow digest waits for the interval too
    t = 1000;
    const due = rl.due();
    expect(due.map((d) => [d.type, d.target, d.count, d.alerts.map((a) => a.id)])).toEqual([
      ['port_scan', OVERFLOW_TARGET, 151, ['x', 'y', 'z']],
      ['syn_flood', OVERFLOW_TARGET, 1, ['f']],
    ]);
    expect(due[0].alerts[0].end).toBe(1_700_000_099);
  });

  it('keys many targets by the first eight, sorted, plus the total', () => {
    const many = Array.from({ length: 12 }, (_, i) => `10.0.1.${12 - i}`);
    expect(targetKey(alert({ targets: many }))).toBe('10.0.1.1,10.0.1.10,10.0.1.11,10.0.1.12,10.0.1.2,10.0.1.3,10.0.1.4,10.0.1.5,+4');
  });
});
