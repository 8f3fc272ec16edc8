import { z } from 'zod';
import { parseJsonMessage, parseValue } from './parse';
import { IpAddress, severityRank } from './common';

const S = z.object({ ip: IpAddress, n: z.number().int() });

describe('parseJsonMessage / parseValue', () => {
  it.each([
    ['a null message (tombstone)', null, 'JSON.INVALID'],
    ['bytes that are not JSON', Buffer.from([0xff, 0x00, 0x7b]), 'JSON.INVALID'],
    ['truncated JSON', '{"ip":"10.0.0.1","n":', 'JSON.INVALID'],
    ['JSON of the wrong shape', '[1,2,3]', 'SCHEMA.INVALID'],
    ['a field of the wrong type', '{"ip":"10.0.0.1","n":"1"}', 'SCHEMA.INVALID'],
  ] as const)('returns an error value for %s, never throws', (_name, input, code) => {
    const r = parseJsonMessage(S, input as Buffer | string | null);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.code).toBe(code);
    expect(!r.ok && r.reason.length).toBeGreaterThan(0);
  });

  it('accepts a valid value and names the failing paths of a bad one', () => {
    expect(parseJsonMessage(S, '{"ip":"::1","n":3}')).toEqual({ ok: true, value: { ip: '::1', n: 3 } });
    const r = parseValue(S, { ip: '300.1.1.1', n: 1.5 });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/ip: .*; n: /);
  });

  it('ranks severities, most urgent highest', () => {
    expect(['low', 'medium', 'high', 'critical'].map((s) => severityRank(s as never))).toEqual([1, 2, 3, 4]);
  });
});
