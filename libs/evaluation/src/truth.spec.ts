import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTruth, parseTruth } from './index';
import { T0, attack, truthOf } from './fixtures.testing';

describe('truth file', () => {
  const good = truthOf([attack({ id: 'x', type: 'syn_flood', sources: ['10.66.0.34'], targets: ['10.66.0.10'], start: T0, end: T0 + 1 })]);

  it('accepts a valid truth value', () => {
    expect(parseTruth(good)).toEqual({ ok: true, truth: good });
  });

  it('rejects an unknown attack type, a bad address and a missing field with TRUTH.INVALID', () => {
    for (const bad of [
      { ...good, attacks: [{ ...good.attacks[0], type: 'brute_force' }] },
      { ...good, attacks: [{ ...good.attacks[0], sources: ['10.66.0.300'] }] },
      { ...good, version: 2 },
      { ...good, attacks: [{ ...good.attacks[0], start: undefined }] },
    ]) {
      const r = parseTruth(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.code).toBe('TRUTH.INVALID');
    }
  });

  it('reads files and reports unreadable or malformed ones as values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'truth-'));
    try {
      writeFileSync(join(dir, 'ok.json'), JSON.stringify(good));
      writeFileSync(join(dir, 'bad.json'), '{ not json');
      expect(loadTruth(join(dir, 'ok.json')).ok).toBe(true);
      expect(loadTruth(join(dir, 'bad.json'))).toMatchObject({ ok: false, code: 'TRUTH.JSON' });
      expect(loadTruth(join(dir, 'missing.json'))).toMatchObject({ ok: false, code: 'TRUTH.READ' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
