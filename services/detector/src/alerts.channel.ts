import { AlertNotifier, loadNotificationConfig } from '@netsentry/notifications';
import type { AlertChannel } from './alerts.notifier';

/**
 * The delivery channel from the environment (libs/notifications: email over SMTP and signed
 * webhooks, severity filter, rate limit with digests, retries). None when neither SMTP nor a
 * webhook is configured; a bad setting stops the detector at start with every problem listed.
 */
export function alertChannelFromEnv(env: NodeJS.ProcessEnv): { ok: true; channel: AlertChannel | null } | { ok: false; message: string } {
  const r = loadNotificationConfig(env);
  if (!r.ok) return { ok: false, message: `notification settings: ${r.errors.join('; ')}` };
  if (!r.config.email && !r.config.webhook) return { ok: true, channel: null };
  const notifier = new AlertNotifier(r.config);
  // The digest timer: without it, alerts held back by the rate limit would only go out at shutdown.
  notifier.start();
  return { ok: true, channel: notifier };
}
