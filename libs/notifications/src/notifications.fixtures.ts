import type { AlertV1 } from '@netsentry/contracts';
import type { NotificationConfig } from './config';

/** A valid alert for tests; fields overridable. */
export function alert(over: Partial<AlertV1> = {}): AlertV1 {
  return {
    id: 'a-1',
    type: 'port_scan',
    severity: 'high',
    sources: ['10.0.0.5'],
    targets: ['10.0.0.9'],
    start: 1_700_000_000,
    end: 1_700_000_042.5,
    summary: '10.0.0.5 probed 250 ports on 10.0.0.9 within 60 s, 98 % unanswered.',
    evidence: [{ metric: 'distinct_dst_ports', value: 250, threshold: 20, op: '>=', windowSeconds: 60 }],
    rule: 'port_scan@1',
    sensor: 'lab-1',
    ...over,
  };
}

export function config(over: Partial<NotificationConfig> = {}): NotificationConfig {
  return {
    minSeverity: 'medium',
    intervalSeconds: 60,
    retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200, timeoutMs: 2000 },
    ...over,
  };
}

/**
 * Resolves with `p`'s outcome, or with 'still running' once `ms` have passed: a spec of something
 * that must end stays bounded on code where it hangs (`expect(await within(p, ms)).not.toBe(...)`).
 */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
