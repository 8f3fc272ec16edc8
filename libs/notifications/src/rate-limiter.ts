import type { AlertV1 } from '@netsentry/contracts';
import { DIGEST_MAX_ALERTS } from './message';

/** A digest that is due: the alerts held back for one key during the last interval. */
export interface DueDigest {
  key: string;
  type: AlertV1['type'];
  target: string;
  count: number;
  alerts: AlertV1[];
}

interface KeyState {
  lastSentAt: number;
  type: AlertV1['type'];
  target: string;
  /** Held alerts by id (an alert updated while held keeps only its latest version). */
  held: Map<string, AlertV1>;
  /** Distinct alerts held, including those beyond DIGEST_MAX_ALERTS. */
  count: number;
}

/** The rate-limit key's target part: the alert's targets, sorted, first 8, comma-separated. */
export function targetKey(a: AlertV1): string {
  const t = [...a.targets].sort().slice(0, 8).join(',');
  const total = a.targetCount ?? a.targets.length;
  return total > 8 ? `${t},+${total - 8}` : t || '-';
}

/**
 * At most one message per (rule type, target) per interval for one destination. The first
 * alert of a key goes out at once; later ones within the interval are held, and when the
 * interval has passed they go out together as one digest (which starts the next interval).
 * Delivery to people is paced by the wall clock (injected), unlike detection, which runs on
 * packet time.
 */
export class RateLimiter {
  private readonly keys = new Map<string, KeyState>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  /** 'send' when the alert may go out now, 'held' when it waits for the key's digest. */
  offer(alert: AlertV1): 'send' | 'held' {
    const target = targetKey(alert);
    const key = `${alert.type}|${target}`;
    const t = this.now();
    const st = this.keys.get(key);
    if (!st) {
      this.keys.set(key, { lastSentAt: t, type: alert.type, target, held: new Map(), count: 0 });
      return 'send';
    }
    if (st.held.size === 0 && st.count === 0 && t - st.lastSentAt >= this.intervalMs) {
      st.lastSentAt = t;
      return 'send';
    }
    if (!st.held.has(alert.id)) {
      st.count++;
      if (st.held.size >= DIGEST_MAX_ALERTS) {
        // keep the most recent ones
        const oldest = st.held.keys().next().value as string;
        st.held.delete(oldest);
      }
    } else {
      st.held.delete(alert.id); // re-insert: most recent last
    }
    st.held.set(alert.id, alert);
    return 'held';
  }

  /** Digests whose interval has passed; each is marked sent now. Forgets keys idle for 2 intervals. */
  due(): DueDigest[] {
    const t = this.now();
    const out: DueDigest[] = [];
    for (const [key, st] of this.keys) {
      if (t - st.lastSentAt < this.intervalMs) continue;
      if (st.count > 0) {
        out.push({ key, type: st.type, target: st.target, count: st.count, alerts: [...st.held.values()] });
        st.held = new Map();
        st.count = 0;
        st.lastSentAt = t;
      } else if (t - st.lastSentAt >= 2 * this.intervalMs) {
        this.keys.delete(key);
      }
    }
    return out;
  }

  /** Everything still held, regardless of the interval (for shutdown). */
  takeAll(): DueDigest[] {
    const out: DueDigest[] = [];
    for (const [key, st] of this.keys) {
      if (st.count > 0) out.push({ key, type: st.type, target: st.target, count: st.count, alerts: [...st.held.values()] });
    }
    this.keys.clear();
    return out;
  }

  /** Keys tracked (for tests and metrics). */
  get size(): number {
    return this.keys.size;
  }
}
