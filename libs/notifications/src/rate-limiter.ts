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

/**
 * Digest target of the alerts of one rule type that could not get a key of their own: the
 * destination's queue was full, or too many keys were tracked.
 */
export const OVERFLOW_TARGET = '*';

/** Memory bounds of one limiter, whatever the alert rate. */
export interface RateLimits {
  /** (rule type, target) keys tracked; alerts of further keys go to the overflow digest. */
  maxKeys: number;
  /** Alerts kept for digests over all keys; past it they are counted, not listed. */
  maxHeld: number;
  /** Alert ids whose key is remembered (oldest forgotten first). */
  maxIds: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = { maxKeys: 10_000, maxHeld: 10_000, maxIds: 50_000 };

interface KeyState {
  lastSentAt: number;
  type: AlertV1['type'];
  target: string;
  /** Held alerts by id (an alert updated while held keeps only its latest version). */
  held: Map<string, AlertV1>;
  /** Distinct alerts held, including those not listed (beyond DIGEST_MAX_ALERTS or maxHeld). */
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
 *
 * The key of an alert is fixed by the first version of it seen here, and kept by alert id: an
 * alert is updated while its attack lasts (libs/detection RULES.md, "one attack, one alert"),
 * and its targets grow (a host sweep's 20 hosts become 59), so keying each version on its
 * current targets made every update a new key that went out at once. Distinct alerts with the
 * same type and targets (another sensor, the same attack after a pause) share a key.
 *
 * Delivery to people is paced by the wall clock (injected), unlike detection, which runs on
 * packet time. Memory is bounded by `RateLimits`.
 */
export class RateLimiter {
  private readonly keys = new Map<string, KeyState>();
  /** Alert id → its key (insertion order: the oldest is forgotten first). */
  private readonly idKeys = new Map<string, { key: string; target: string }>();
  private heldTotal = 0;
  private readonly limits: RateLimits;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
    limits: Partial<RateLimits> = {},
  ) {
    this.limits = { ...DEFAULT_RATE_LIMITS, ...limits };
  }

  /** 'send' when the alert may go out now, 'held' when it waits for a digest. */
  offer(alert: AlertV1): 'send' | 'held' {
    const { key, target } = this.keyOf(alert);
    const t = this.now();
    const st = this.keys.get(key);
    if (!st) {
      if (this.keys.size >= this.limits.maxKeys) {
        this.foldAlert(alert);
        return 'held';
      }
      this.keys.set(key, { lastSentAt: t, type: alert.type, target, held: new Map(), count: 0 });
      return 'send';
    }
    if (st.count === 0 && t - st.lastSentAt >= this.intervalMs) {
      st.lastSentAt = t;
      return 'send';
    }
    this.hold(st, alert, true);
    return 'held';
  }

  /**
   * Takes back an alert that could not be delivered now (the destination's queue was full): it
   * joins the overflow digest of its rule type, due one interval after that digest was started.
   */
  foldAlert(alert: AlertV1): void {
    this.hold(this.overflow(alert.type), alert, true);
  }

  /** Takes back a digest that could not be delivered now, into the overflow digest of its type. */
  foldDigest(d: { type: AlertV1['type']; count: number; alerts: readonly AlertV1[] }): void {
    const st = this.overflow(d.type);
    for (const a of d.alerts) this.hold(st, a, false);
    st.count += d.count;
  }

  /** Digests whose interval has passed; each is marked sent now. Forgets keys idle for 2 intervals. */
  due(): DueDigest[] {
    const t = this.now();
    const out: DueDigest[] = [];
    for (const [key, st] of this.keys) {
      if (t - st.lastSentAt < this.intervalMs) continue;
      if (st.count > 0) {
        out.push(this.take(key, st));
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
    for (const [key, st] of this.keys) if (st.count > 0) out.push(this.take(key, st));
    this.keys.clear();
    this.idKeys.clear();
    this.heldTotal = 0;
    return out;
  }

  /** Keys tracked (for tests and metrics). */
  get size(): number {
    return this.keys.size;
  }

  /** Alerts kept for digests (for tests and metrics). */
  get held(): number {
    return this.heldTotal;
  }

  /** The overflow key of a rule type; not capped by maxKeys: there is one per type at most. */
  private overflow(type: AlertV1['type']): KeyState {
    const key = `${type}|${OVERFLOW_TARGET}`;
    let st = this.keys.get(key);
    if (!st) {
      st = { lastSentAt: this.now(), type, target: OVERFLOW_TARGET, held: new Map(), count: 0 };
      this.keys.set(key, st);
    }
    return st;
  }

  private keyOf(alert: AlertV1): { key: string; target: string } {
    const known = this.idKeys.get(alert.id);
    if (known) return known;
    const target = targetKey(alert);
    const k = { key: `${alert.type}|${target}`, target };
    this.idKeys.set(alert.id, k);
    if (this.idKeys.size > this.limits.maxIds) this.idKeys.delete(this.idKeys.keys().next().value as string);
    return k;
  }

  /** Keeps the latest version of an alert in a key's digest; `counted` adds it to the count if new. */
  private hold(st: KeyState, alert: AlertV1, counted: boolean): void {
    if (st.held.has(alert.id)) {
      st.held.delete(alert.id); // re-insert: most recent last
      st.held.set(alert.id, alert);
      return;
    }
    if (counted) st.count++;
    if (st.held.size >= DIGEST_MAX_ALERTS) {
      // keep the most recent ones
      st.held.delete(st.held.keys().next().value as string);
      this.heldTotal--;
    }
    if (this.heldTotal >= this.limits.maxHeld) return; // counted, not listed
    st.held.set(alert.id, alert);
    this.heldTotal++;
  }

  private take(key: string, st: KeyState): DueDigest {
    const d = { key, type: st.type, target: st.target, count: st.count, alerts: [...st.held.values()] };
    this.heldTotal -= st.held.size;
    st.held = new Map();
    st.count = 0;
    return d;
  }
}
