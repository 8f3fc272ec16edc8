import { AlertV1, severityRank } from '@netsentry/contracts';
import { DEFAULT_DELIVERY, type NotificationConfig } from './config';
import { DeliveryLane } from './delivery.lane';
import { EmailChannel } from './email.channel';
import type { NotificationV1 } from './message';
import { RateLimiter } from './rate-limiter';
import { realSleep, withRetry, type AttemptResult, type Sleep } from './retry';
import { WebhookChannel } from './webhook.channel';

/** A destination: one webhook URL, or the email recipients. */
export interface Channel {
  readonly name: string;
  send(m: NotificationV1): Promise<AttemptResult>;
  close?(): void;
}

/** Counters, for metrics and tests. */
export interface NotifierStats {
  /** notify() calls. */
  received: number;
  /** Alerts that failed the AlertV1 schema (not delivered). */
  invalid: number;
  /** Alerts below the minimum severity (not delivered). */
  belowSeverity: number;
  /** Messages delivered (alerts and digests, per destination). */
  sent: number;
  /** Digests delivered (included in sent). */
  digestsSent: number;
  /** Alert deliveries held back for a digest (per destination). */
  held: number;
  /** Messages given up on after their retries (per destination). */
  failed: number;
  /**
   * Messages (alerts or digests) that found the destination's queue full and were folded into
   * the overflow digest of their rule type (per destination): delayed, not dropped.
   */
  overflowed: number;
  /** Extra attempts made (after a first failure). */
  retries: number;
}

export interface NotifierDeps {
  /** Wall clock in ms (default Date.now). */
  now?: () => number;
  sleep?: Sleep;
  fetch?: typeof fetch;
  /** Destinations to use instead of those built from the config. */
  channels?: Channel[];
  /** Called once per message given up on (default: nothing; the count is in stats.failed). */
  onFailure?: (channel: string, m: NotificationV1, reason: string) => void;
}

/** notify() looks for due digests at most this often (the timer of start() does too). */
const DUE_CHECK_MS = 1000;

/**
 * Delivers alerts at or above a severity to email and webhooks, rate-limited per destination
 * and (rule type, target), with retries and exponential backoff. Never throws into the caller:
 * notify() resolves when the delivery is done, given up, or folded into a later digest;
 * failures are counted. Each destination has a DeliveryLane: a few deliveries at once, a
 * bounded queue, and the overflow folded into a digest (5 000 alerts at once used to open
 * 4 651 connections to one receiver).
 */
export class AlertNotifier {
  readonly stats: NotifierStats = { received: 0, invalid: 0, belowSeverity: 0, sent: 0, digestsSent: 0, held: 0, failed: 0, overflowed: 0, retries: 0 };
  /** Failures per destination name. */
  readonly failuresByChannel = new Map<string, number>();
  private readonly channels: Channel[];
  private readonly limiters: RateLimiter[];
  private readonly lanes: DeliveryLane[];
  private readonly minRank: number;
  private readonly now: () => number;
  private lastDueCheck = -Infinity;
  private readonly sleep: Sleep;
  private readonly inflight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly config: NotificationConfig,
    private readonly deps: NotifierDeps = {},
  ) {
    const now = (this.now = deps.now ?? Date.now);
    const delivery = config.delivery ?? DEFAULT_DELIVERY;
    this.sleep = deps.sleep ?? realSleep;
    this.minRank = severityRank(config.minSeverity);
    this.channels = deps.channels ?? [];
    if (!deps.channels) {
      if (config.email) this.channels.push(new EmailChannel(config.email, config.retry.timeoutMs, delivery.concurrency));
      if (config.webhook) {
        for (const url of config.webhook.urls) this.channels.push(new WebhookChannel(url, config.webhook.secret, config.retry.timeoutMs, deps.fetch));
      }
    }
    this.limiters = this.channels.map(() => new RateLimiter(config.intervalSeconds * 1000, now));
    this.lanes = this.channels.map(() => new DeliveryLane(delivery.concurrency, delivery.queueSize));
  }

  /** Destination names, in order. */
  get destinations(): string[] {
    return this.channels.map((c) => c.name);
  }

  /** Sends due digests on a timer (unref'd: it never keeps the process alive). */
  start(periodMs = Math.min(5000, Math.max(100, this.config.intervalSeconds * 250))): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.tick(), periodMs);
    this.timer.unref();
  }

  /** Delivers one alert (if severe enough and not rate-limited). Never rejects. */
  notify(alert: AlertV1): Promise<void> {
    return this.track(this.doNotify(alert));
  }

  /** Sends every digest whose interval has passed. Never rejects. */
  tick(): Promise<void> {
    this.lastDueCheck = this.now();
    return this.track(this.sendDue(false));
  }

  /** Deliveries in progress and waiting, per destination (for metrics and tests). */
  get pending(): { running: number; queued: number }[] {
    return this.lanes.map((l) => ({ running: l.running, queued: l.queued }));
  }

  /** Waits for every delivery in progress. */
  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  /** Stops the timer, sends what is still held as digests, waits, closes transports. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.drain();
    await this.track(this.sendDue(true));
    await this.drain();
    this.closed = true;
    for (const c of this.channels) {
      try {
        c.close?.();
      } catch {
        // closing is best effort
      }
    }
  }

  private track(p: Promise<void>): Promise<void> {
    const guarded = p.catch(() => undefined);
    this.inflight.add(guarded);
    void guarded.then(() => this.inflight.delete(guarded));
    return guarded;
  }

  private async doNotify(raw: AlertV1): Promise<void> {
    this.stats.received++;
    if (this.closed) return;
    const parsed = AlertV1.safeParse(raw);
    if (!parsed.success) {
      this.stats.invalid++;
      return;
    }
    const alert = parsed.data;
    if (severityRank(alert.severity) < this.minRank) {
      this.stats.belowSeverity++;
      return;
    }
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < this.channels.length; i++) {
      if (this.limiters[i].offer(alert) === 'send') jobs.push(this.dispatch(i, { kind: 'alert', alert }, false));
      else this.stats.held++;
    }
    // scanning every key on every alert would cost O(keys) per alert in a flood
    const t = this.now();
    if (t - this.lastDueCheck >= DUE_CHECK_MS) {
      this.lastDueCheck = t;
      jobs.push(this.sendDue(false));
    }
    await Promise.all(jobs);
  }

  private async sendDue(all: boolean): Promise<void> {
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < this.channels.length; i++) {
      const due = all ? this.limiters[i].takeAll() : this.limiters[i].due();
      for (const d of due) {
        // at shutdown the digests queue beyond the limit: there is no later digest to fold into,
        // and their number is bounded by the rate limiter's keys
        jobs.push(this.dispatch(i, { kind: 'digest', type: d.type, target: d.target, count: d.count, alerts: d.alerts }, all));
      }
    }
    await Promise.all(jobs);
  }

  /** Hands a message to the destination's lane; a full queue folds it into an overflow digest. */
  private dispatch(i: number, m: NotificationV1, force: boolean): Promise<void> {
    const done = this.lanes[i].submit(() => this.deliver(this.channels[i], m), force);
    if (done !== 'full') return done;
    this.stats.overflowed++;
    if (m.kind === 'alert') this.limiters[i].foldAlert(m.alert);
    else this.limiters[i].foldDigest(m);
    return Promise.resolve();
  }

  private async deliver(channel: Channel, m: NotificationV1): Promise<void> {
    const r = await withRetry(() => channel.send(m), this.config.retry, this.sleep);
    this.stats.retries += r.attempts - 1;
    if (r.ok) {
      this.stats.sent++;
      if (m.kind === 'digest') this.stats.digestsSent++;
      return;
    }
    this.stats.failed++;
    this.failuresByChannel.set(channel.name, (this.failuresByChannel.get(channel.name) ?? 0) + 1);
    try {
      this.deps.onFailure?.(channel.name, m, r.reason ?? 'unknown');
    } catch {
      // a failing callback must not break delivery
    }
  }
}
