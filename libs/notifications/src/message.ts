import { z } from 'zod';
import { AlertV1 } from '@netsentry/contracts';

/**
 * What a destination receives: one alert, or a digest of the alerts held back by the rate
 * limit for one (rule type, target) during an interval. The webhook body is this object as
 * JSON; emails render it as text.
 */
export const AlertMessageV1 = z.object({
  kind: z.literal('alert'),
  alert: AlertV1,
});
export const DigestMessageV1 = z.object({
  kind: z.literal('digest'),
  /** Rule type of the alerts held back. */
  type: AlertV1.shape.type,
  /**
   * The target key the rate limit was applied to (sorted targets of the alert's first version,
   * first 8, comma-separated), or "*": alerts of this type folded in because the destination's
   * queue was full (or too many keys were tracked).
   */
  target: z.string(),
  /** Number of alerts held back (may exceed alerts.length). */
  count: z.number().int().positive(),
  /** The held-back alerts, most recent last, at most DIGEST_MAX_ALERTS. */
  alerts: z.array(AlertV1),
});
/**
 * Body of a NetSentry webhook POST, signed: X-NetSentry-Timestamp: <unix seconds>,
 * X-NetSentry-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>"> (webhook.channel.ts).
 */
export const NotificationV1 = z.discriminatedUnion('kind', [AlertMessageV1, DigestMessageV1]);
export type NotificationV1 = z.infer<typeof NotificationV1>;

export const DIGEST_MAX_ALERTS = 100;

const iso = (s: number): string => new Date(Math.round(s * 1000)).toISOString();

function list(a: readonly string[], total: number | undefined): string {
  const shown = a.slice(0, 5).join(', ');
  const n = total ?? a.length;
  return n > 5 ? `${shown} and ${n - 5} more` : shown || '-';
}

function alertLines(a: AlertV1): string[] {
  return [
    `${a.severity.toUpperCase()} ${a.type}: ${a.summary}`,
    `  sources: ${list(a.sources, a.sourceCount)}`,
    `  targets: ${list(a.targets, a.targetCount)}`,
    `  from ${iso(a.start)} to ${iso(a.end)} (packet time), sensor ${a.sensor}`,
    ...a.evidence.map((e) => `  ${e.metric} = ${e.value} (${e.op} ${e.threshold} over ${e.windowSeconds} s${e.baseline !== undefined ? `, baseline ${e.baseline}` : ''})`),
    `  alert id ${a.id}`,
  ];
}

/** Subject and text body of the email for a notification. */
export function renderEmail(m: NotificationV1): { subject: string; text: string } {
  if (m.kind === 'alert') {
    const a = m.alert;
    return {
      subject: `[NetSentry] ${a.severity.toUpperCase()} ${a.type}: ${list(a.sources, a.sourceCount)} -> ${list(a.targets, a.targetCount)}`.slice(0, 200),
      text: alertLines(a).join('\n') + '\n',
    };
  }
  const lines = [`${m.count} further ${m.type} alert(s) for ${m.target} were held back by the rate limit:`, ''];
  for (const a of m.alerts) lines.push(...alertLines(a), '');
  if (m.count > m.alerts.length) lines.push(`(${m.count - m.alerts.length} more not listed)`);
  return { subject: `[NetSentry] digest: ${m.count} more ${m.type} alert(s) for ${m.target}`.slice(0, 200), text: lines.join('\n') + '\n' };
}
