import { Baseline, IdleMap, WindowDistinct, WindowMax, WindowSum } from './window';

describe('sliding windows in packet time', () => {
  it('WindowSum sums the intervals that start within the window and forgets older ones', () => {
    const w = new WindowSum(10);
    for (let t = 100; t < 120; t++) w.add(t, 1);
    w.add(119, 5); // same interval: added to it
    expect(w.sum(120)).toBe(15); // intervals 110..119
    expect(w.first(120)).toBe(110);
    expect(w.sum(200)).toBe(0);
    expect(Number.isNaN(w.first(200))).toBe(true);
  });

  it('WindowSum keeps one interval inline, then grows; sumSince sums the newest part of the window', () => {
    const w = new WindowSum(10);
    w.add(100, 3);
    w.add(100, 4); // same interval, still inline
    expect(w.sum(101)).toBe(7);
    expect(w.first(101)).toBe(100);
    expect(w.sumSince(100)).toBe(7);
    expect(w.sumSince(101)).toBe(0);
    w.add(105, 5); // second interval: arrays
    expect(w.sum(106)).toBe(12);
    expect(w.sumSince(101)).toBe(5);
    expect(w.sum(111)).toBe(5); // 100 left the window
    expect(w.first(111)).toBe(105);
    const once = new WindowSum(10);
    once.add(100, 2);
    expect(once.sum(120)).toBe(0);
    expect(Number.isNaN(once.first(120))).toBe(true);
    once.add(130, 1);
    expect(once.sum(131)).toBe(1);
  });

  it('WindowDistinct counts distinct items by last sighting, with sketch estimates as a lower bound', () => {
    const d = new WindowDistinct<number>(60);
    expect(d.count(100)).toBe(0);
    d.add(100, 80);
    expect(d.count(101)).toBe(1);
    d.add(101, 80); // same item again: still one
    expect(d.items(102)).toEqual([80]);
    d.add(130, 443);
    d.add(150, 22);
    expect(d.count(151)).toBe(3);
    expect(d.has(151, 80)).toBe(true);
    expect(d.count(162)).toBe(2); // 80 last seen at 101 < 162 - 60
    expect(d.has(162, 80)).toBe(false);
    d.addEstimate(160, 5000);
    expect(d.count(162)).toBe(5000);
    expect(d.count(300)).toBe(0);
  });

  it('WindowMax keeps the largest value still in the window', () => {
    const m = new WindowMax(5);
    m.add(1, 10); m.add(2, 3); m.add(3, 7);
    expect(m.max(4)).toBe(10);
    expect(m.max(7)).toBe(7); // 10 (t=1) left the window
    expect(m.max(20)).toBe(0);
  });

  it('Baseline is an EWMA in packet time that decays over gaps and learns at most the clip', () => {
    const b = new Baseline(0.5);
    b.update(0, 1, 10);
    expect(b.value).toBe(10);
    b.update(1, 1, 20);
    expect(b.value).toBe(15);
    b.update(4, 1, 0); // two silent intervals (2, 3) decay it first
    expect(b.value).toBeCloseTo(15 * 0.25 * 0.5);
    expect(b.seconds).toBe(5);
    const c = new Baseline(0.5);
    c.update(0, 1, 0);
    c.update(1, 1, 1000, 100);
    expect(c.value).toBe(50);
  });

  it('IdleMap forgets entries not touched since a deadline', () => {
    const m = new IdleMap<string, number>();
    m.touch('a', 1, () => 1);
    m.touch('b', 5, () => 2);
    expect(m.touch('a', 9, () => 99)).toBe(1);
    for (let i = 0; i < 8; i++) m.expire(6); // the sweep runs every 8th call
    expect(m.get('a')).toBe(1);
    expect(m.get('b')).toBeUndefined();
    expect(m.size).toBe(1);
    const dropped: string[] = [];
    const d = new IdleMap<string, number>((k) => dropped.push(k));
    d.touch('x', 1, () => 1);
    d.touch('y', 9, () => 2);
    for (let i = 0; i < 8; i++) d.expire(5);
    expect(dropped).toEqual(['x']);
  });
});
