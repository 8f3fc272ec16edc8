import { backoffDelay, withRetry, type AttemptResult } from './retry';

describe('withRetry', () => {
  const policy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 500 };

  it('backs off exponentially, capped', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n))).toEqual([100, 200, 400, 500, 500]);
  });

  it('retries retriable failures and exceptions until success', async () => {
    const slept: number[] = [];
    const answers: (AttemptResult | Error)[] = [{ ok: false, retriable: true, reason: 'HTTP 503' }, new Error('ECONNRESET'), { ok: true }];
    const r = await withRetry(
      async () => {
        const a = answers.shift() as AttemptResult | Error;
        if (a instanceof Error) throw a;
        return a;
      },
      policy,
      async (ms) => {
        slept.push(ms);
      },
    );
    expect(r).toEqual({ ok: true, attempts: 3 });
    expect(slept).toEqual([100, 200]);
  });

  it('stops at a permanent failure and after the last attempt', async () => {
    const noSleep = async (): Promise<void> => undefined;
    expect(await withRetry(async () => ({ ok: false, retriable: false, reason: 'HTTP 400' }), policy, noSleep)).toEqual({ ok: false, attempts: 1, reason: 'HTTP 400' });
    let calls = 0;
    const r = await withRetry(async () => ({ ok: false, retriable: true, reason: `try ${++calls}` }), policy, noSleep);
    expect(r).toEqual({ ok: false, attempts: 5, reason: 'try 5' });
  });
});
