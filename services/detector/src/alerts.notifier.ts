import { Inject, Injectable, Logger } from '@nestjs/common';
import { severityRank, type AlertV1, type Severity } from '@netsentry/contracts';

/** What a delivery channel must offer (libs/notifications' dispatcher). */
export interface AlertChannel {
  notify(alert: AlertV1): void | Promise<unknown>;
  close?(): Promise<void> | void;
}

export const ALERT_CHANNEL = Symbol('ALERT_CHANNEL');
export const NOTIFY_MIN_SEVERITY = Symbol('NOTIFY_MIN_SEVERITY');

/**
 * Hands new alerts at or above the configured severity to the delivery channel (email and
 * webhooks through libs/notifications, which rate-limits, retries and never throws). Updates of
 * an alert are not re-sent, except when its severity rises. Delivery never blocks the consumer.
 */
@Injectable()
export class AlertsNotifier {
  private readonly log = new Logger('detector.notify');
  private readonly sentSeverity = new Map<string, number>();
  offered = 0;
  failed = 0;

  constructor(
    @Inject(ALERT_CHANNEL) private readonly channel: AlertChannel | null,
    @Inject(NOTIFY_MIN_SEVERITY) private readonly minSeverity: Severity,
  ) {}

  offer(alert: AlertV1, change: 'new' | 'update'): void {
    if (!this.channel) return;
    const rank = severityRank(alert.severity);
    if (rank < severityRank(this.minSeverity)) return;
    const prev = this.sentSeverity.get(alert.id);
    if (change === 'update' && prev !== undefined && rank <= prev) return;
    this.sentSeverity.set(alert.id, rank);
    if (this.sentSeverity.size > 100_000) this.sentSeverity.clear();
    this.offered++;
    try {
      void Promise.resolve(this.channel.notify(alert)).catch((e: unknown) => {
        this.failed++;
        this.log.warn(`notification failed: ${(e as Error).message}`);
      });
    } catch (e) {
      this.failed++;
      this.log.warn(`notification failed: ${(e as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await this.channel?.close?.();
  }
}
