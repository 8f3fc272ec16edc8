import { RateLimiter, targetKey } from './rate-limiter';
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

  it('keys many targets by the first eight, sorted, plus the total', () => {
    const many = Array.from({ length: 12 }, (_, i) => `10.0.1.${12 - i}`);
    expect(targetKey(alert({ targets: many }))).toBe('10.0.1.1,10.0.1.10,10.0.1.11,10.0.1.12,10.0.1.2,10.0.1.3,10.0.1.4,10.0.1.5,+4');
  });
});
