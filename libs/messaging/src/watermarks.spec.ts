import { CommitTracker, MinWatermark } from './watermarks';
import { readEnvelope, envelopeHeaders, MAX_PACKET_PARTITIONS, WatermarkV1 } from './envelope';
import { futureLimitUs, futureReason } from './time';

describe('MinWatermark', () => {
  it('stays at -1 until every (partition, source) stream reported, then takes the minimum', () => {
    const w = new MinWatermark(2);
    w.setPartitions([0, 3]);
    expect(w.update(0, 0, 100, false)).toBe(-1);
    expect(w.update(0, 1, 50, false)).toBe(-1);
    expect(w.update(3, 0, 70, false)).toBe(-1);
    expect(w.update(3, 1, 200, false)).toBe(50);
    expect(w.update(0, 1, 300, false)).toBe(70);
    // never goes back
    expect(w.update(3, 0, 10, false)).toBe(70);
    expect(w.eos).toBe(false);
    for (const p of [0, 3]) for (const s of [0, 1]) w.update(p, s, 400, true);
    expect(w.eos).toBe(true);
    expect(w.clock()).toBe(400);
  });

  it('a declared stream that never reports holds the clock only for the grace, then is left out (once) until it speaks', () => {
    let now = 1000;
    const w = new MinWatermark(1, { silentGraceMs: 5000, now: () => now });
    w.setPartitions([0]);
    w.setSources(3); // sources 1 and 2 never speak
    expect(w.update(0, 0, 100, false)).toBe(-1);
    expect(w.waiting).toBe(true);
    now += 4999;
    expect(w.update(0, 0, 200, true)).toBe(-1);
    expect(w.eos).toBe(false);
    now += 1;
    expect(w.clock()).toBe(200);
    expect(w.waiting).toBe(false);
    expect(w.eos).toBe(true);
    expect(w.takeNewlySilent()).toEqual([{ partition: 0, source: 1 }, { partition: 0, source: 2 }]);
    expect(w.takeNewlySilent()).toEqual([]);
    // Source 1 turns up late: it holds the clock again (and its end of input counts).
    expect(w.update(0, 1, 150, false)).toBe(150);
    expect(w.eos).toBe(false);
    expect(w.update(0, 1, 300, true)).toBe(200);
    expect(w.eos).toBe(true);
  });

  it('without a grace it waits forever, as before; a stream that has spoken is never left out', () => {
    let now = 0;
    const w = new MinWatermark(2, { now: () => now });
    w.setPartitions([0, 1]);
    w.update(0, 0, 10, false);
    w.update(0, 1, 10, false);
    w.update(1, 0, 10, false);
    now = 1e12;
    expect(w.clock()).toBe(-1);
    const g = new MinWatermark(1, { silentGraceMs: 10, now: () => now });
    g.setPartitions([0, 1]);
    g.update(0, 0, 50, false);
    now += 1e9;
    // Partition 1 has not been read yet (a restarted consumer catching up): waited for, however long.
    expect(g.clock()).toBe(-1);
    expect(g.takeNewlySilent()).toEqual([]);
    g.update(1, 0, 60, false);
    now += 1e9;
    g.update(0, 0, 70, false);
    expect(g.clock()).toBe(60); // partition 1 spoke once: it holds the clock however long it is quiet
    expect(new MinWatermark(1, { silentGraceMs: 0 }).clock()).toBe(-1); // nothing reported at all
  });

  it('the grace of a stream starts once its partition is read: nothing reported declares nothing to wait for', () => {
    let now = 0;
    const w = new MinWatermark(2, { silentGraceMs: 10, now: () => now });
    w.setPartitions([0, 1, 2]);
    expect(w.clock()).toBe(-1);
    expect(w.waiting).toBe(false);
    now += 1000;
    expect(w.clock()).toBe(-1);
    expect(w.update(0, 0, 5, false)).toBe(-1); // (0, 1) gets its grace from now; partitions 1 and 2 are not read yet
    expect(w.waiting).toBe(true);
    now += 9;
    expect(w.update(1, 0, 7, false)).toBe(-1); // (1, 1) from now
    expect(w.update(2, 0, 6, false)).toBe(-1); // (2, 1) from now
    now += 1;
    expect(w.clock()).toBe(-1); // (1, 1) and (2, 1) still in their grace
    expect(w.takeNewlySilent()).toEqual([{ partition: 0, source: 1 }]);
    now += 9;
    expect(w.clock()).toBe(5);
    expect(w.takeNewlySilent()).toEqual([{ partition: 1, source: 1 }, { partition: 2, source: 1 }]);
  });
});

describe('source bounds', () => {
  const wm = { sensor: 's', source: 0, sources: 4, wmUs: 1, eos: false };
  it('WatermarkV1 takes at most MAX_PACKET_PARTITIONS sources and a source below them', () => {
    expect(MAX_PACKET_PARTITIONS).toBe(1024);
    expect(WatermarkV1.safeParse(wm).success).toBe(true);
    expect(WatermarkV1.safeParse({ ...wm, sources: MAX_PACKET_PARTITIONS, source: MAX_PACKET_PARTITIONS - 1 }).success).toBe(true);
    expect(WatermarkV1.safeParse({ ...wm, sources: MAX_PACKET_PARTITIONS + 1 }).success).toBe(false);
    expect(WatermarkV1.safeParse({ ...wm, sources: 10000 }).success).toBe(false);
    expect(WatermarkV1.safeParse({ ...wm, source: 4 }).success).toBe(false);
    expect(WatermarkV1.safeParse({ ...wm, source: 2 ** 40, sources: 1 }).success).toBe(false);
  });

  it('the envelope header ns-parts takes 1..MAX_PACKET_PARTITIONS', () => {
    const h = (parts: string) => ({ 'ns-sensor': Buffer.from('s'), 'ns-kind': Buffer.from('tick'), 'ns-wm': Buffer.from('5'), 'ns-parts': Buffer.from(parts) });
    expect(readEnvelope(h('1024'))).toMatchObject({ ok: true, value: { parts: 1024 } });
    for (const bad of ['1025', '10000', '0', '99999', '1e3']) expect(readEnvelope(h(bad)).ok).toBe(false);
  });
});

describe('future limit', () => {
  it('is the wall clock plus the tolerance, in µs, and the reason names the setting', () => {
    expect(futureLimitUs(1_700_000_000_000, 86400)).toBe(1_700_086_400_000_000);
    const r = futureReason('watermark', 9e15, futureLimitUs(1_700_000_000_000, 86400), 86400, 'DETECTOR_MAX_FUTURE_S');
    expect(r).toMatch(/^watermark 9000000000 s .* ahead .*DETECTOR_MAX_FUTURE_S=86400$/);
  });
});

describe('CommitTracker', () => {
  it('commits up to the first message still needed', () => {
    const c = new CommitTracker();
    c.record(10, 100);
    c.record(11, 200);
    c.record(12, 150);
    expect(c.safeOffset(50)).toBe(10);
    expect(c.safeOffset(101)).toBe(11);
    // 12 is not needed after 150 but 11 still is: the position stays at the first needed one
    expect(c.safeOffset(160)).toBe(11);
    expect(c.safeOffset(201)).toBe(13);
    expect(c.releaseAll()).toBe(13);
  });
});

describe('packet envelope', () => {
  it('round-trips and rejects bad headers as values', () => {
    const h = envelopeHeaders({ sensor: 's-1', kind: 'batch', wmUs: 1_700_000_000_000_000, parts: 4 });
    const r = readEnvelope(Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Buffer.from(v)])));
    expect(r).toEqual({ ok: true, value: { sensor: 's-1', kind: 'batch', wmUs: 1_700_000_000_000_000, parts: 4 } });
    const bad = readEnvelope({ 'ns-sensor': Buffer.from('bad sensor!'), 'ns-kind': Buffer.from('batch'), 'ns-wm': Buffer.from('-1') });
    expect(bad.ok).toBe(false);
    expect(readEnvelope(undefined).ok).toBe(false);
  });
});
