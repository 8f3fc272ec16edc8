import { DeadLetterV1 } from './deadletter.v1';

const valid: DeadLetterV1 = {
  topic: 'netsentry.flows.v1',
  partition: 2,
  offset: '18446744073709551615',
  code: 'SCHEMA.INVALID',
  reason: 'srcIp: Invalid IPv4 address',
  consumer: 'detector-1',
  at: 1763900000.25,
  key: Buffer.from('10.0.0.5').toString('base64'),
  value: null,
};

type Bad = [string, (a: Record<string, unknown>) => void, string];
const BAD: Bad[] = [
  ['a numeric offset (offsets are 64-bit strings)', (a) => (a.offset = 12), 'offset'],
  ['a negative partition', (a) => (a.partition = -1), 'partition'],
  ['an empty code', (a) => (a.code = ''), 'code'],
  ['a reason over 4000 characters', (a) => (a.reason = 'x'.repeat(4001)), 'reason'],
  ['a missing consumer', (a) => delete a.consumer, 'consumer'],
  ['a missing key (null is required for "no key")', (a) => delete a.key, 'key'],
];

describe('DeadLetterV1', () => {
  it('accepts a valid dead letter unchanged', () => {
    expect(DeadLetterV1.parse(valid)).toEqual(valid);
  });

  it.each(BAD)('rejects %s', (_name, mutate, path) => {
    const bad = structuredClone(valid) as unknown as Record<string, unknown>;
    mutate(bad);
    const r = DeadLetterV1.safeParse(bad);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
