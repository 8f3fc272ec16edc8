/** Outcome of one delivery attempt: retriable failures are tried again, others are final. */
export type AttemptResult = { ok: true } | { ok: false; retriable: boolean; reason: string };

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Delay before the first retry; doubled for each further retry. */
  baseDelayMs: number;
  /** Cap on one delay. */
  maxDelayMs: number;
}

export interface DeliveryResult {
  ok: boolean;
  attempts: number;
  /** Last failure reason when not ok. */
  reason?: string;
}

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Delay before retry number `retry` (1-based): base · 2^(retry−1), capped. */
export function backoffDelay(policy: RetryPolicy, retry: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the attempts run out, sleeping with
 * exponential backoff in between. Never throws: an exception from `attempt` counts as a
 * retriable failure. Total time is bounded by maxAttempts × (attempt timeout) + Σ delays.
 */
export async function withRetry(attempt: () => Promise<AttemptResult>, policy: RetryPolicy, sleep: Sleep = realSleep): Promise<DeliveryResult> {
  let last = 'no attempt made';
  for (let n = 1; n <= Math.max(1, policy.maxAttempts); n++) {
    if (n > 1) await sleep(backoffDelay(policy, n - 1));
    let r: AttemptResult;
    try {
      r = await attempt();
    } catch (e) {
      r = { ok: false, retriable: true, reason: (e as Error)?.message ?? String(e) };
    }
    if (r.ok) return { ok: true, attempts: n };
    last = r.reason;
    if (!r.retriable) return { ok: false, attempts: n, reason: last };
  }
  return { ok: false, attempts: Math.max(1, policy.maxAttempts), reason: last };
}
