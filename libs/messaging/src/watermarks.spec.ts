import { CommitTracker, MinWatermark } from './watermarks';
import { readEnvelope, envelopeHeaders } from './envelope';

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
