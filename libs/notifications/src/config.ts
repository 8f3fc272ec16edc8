import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Severity } from '@netsentry/contracts';
import { badPortMessage, fetchBadPort } from './bad-port';
import { mailboxAddress } from './mail-address';
import { hasCredentials, redactCredentials } from './redact';

/**
 * All environment reading of the notifications library, validated once. Variables:
 *
 *   NETSENTRY_NOTIFY_MIN_SEVERITY   lowest severity delivered: low|medium|high|critical (default high)
 *   NETSENTRY_NOTIFY_INTERVAL_S     rate-limit interval per (destination, rule type, target) (default 300)
 *   NETSENTRY_NOTIFY_MAX_ATTEMPTS   attempts per message, first included (default 4, at most 10)
 *   NETSENTRY_NOTIFY_BACKOFF_MS     first retry delay, doubled each retry (default 500; ≤ the cap below)
 *   NETSENTRY_NOTIFY_MAX_BACKOFF_MS cap on one retry delay (default 30000)
 *   NETSENTRY_NOTIFY_TIMEOUT_MS     timeout of one webhook attempt, from its start, not from when it was queued, and
 *                                   of each wait for an SMTP server (default 10000)
 *   NETSENTRY_NOTIFY_CONCURRENCY    deliveries in progress at once per destination (default 4, at most 64)
 *   NETSENTRY_NOTIFY_QUEUE          deliveries waiting per destination; past it they are folded into a digest (default 100)
 *
 *   NETSENTRY_SMTP_HOST             SMTP server; email is off when unset
 *   NETSENTRY_SMTP_PORT             default 587 (465 for tls)
 *   NETSENTRY_SMTP_SECURITY         starttls (required, default) | tls (implicit, port 465) | none
 *   NETSENTRY_SMTP_USER / _PASS     credentials (both or neither)
 *   NETSENTRY_SMTP_FROM             sender address, "a@example.org" or "Name <a@example.org>" (required with a host)
 *   NETSENTRY_SMTP_TO               recipients, comma-separated, same forms (required with a host)
 *   NETSENTRY_SMTP_CA_FILE          PEM file of CA certificates to trust (e.g. a private CA)
 *   NETSENTRY_SMTP_TLS_VERIFY       true (default) | false: verify the server certificate
 *   NETSENTRY_SMTP_DEADLINE_MS      whole e-mail attempt, from its start; past it the session is dropped and the
 *                                   attempt retried (default 30000). NETSENTRY_NOTIFY_TIMEOUT_MS caps each wait
 *                                   for the server (connect, greeting, silence), not a server that trickles bytes
 *
 *   NETSENTRY_WEBHOOK_URLS          http(s) URLs, comma-separated, without user:password nor a port fetch refuses
 *                                   (bad-port.ts: 25, 6000...); webhooks are off when unset
 *   NETSENTRY_WEBHOOK_SECRET        HMAC-SHA256 key for X-NetSentry-Signature (required with URLs, ≥ 16 chars)
 */

/** A mailbox nodemailer can send to (mail-address.ts); the value is quoted, addresses are no secret. */
const mailbox = (ctx: z.core.ParsePayload<string>): void => {
  if (mailboxAddress(ctx.value) === null) {
    ctx.issues.push({ code: 'custom', input: ctx.value, message: `${JSON.stringify(ctx.value)} is not an e-mail address (a@example.org or "Name <a@example.org>")` });
  }
};

/** fetch refuses URLs with user:password, and they would leak into logs: refused at start. */
const noCredentials = (ctx: z.core.ParsePayload<string>): void => {
  if (hasCredentials(ctx.value)) {
    ctx.issues.push({
      code: 'custom',
      input: redactCredentials(ctx.value),
      message: `${redactCredentials(ctx.value)} has a user name or password in it, which is never sent; remove it and authenticate deliveries by their signature (NETSENTRY_WEBHOOK_SECRET)`,
      // zod skips a value's further checks after an issue: the port check below must still run
      continue: true,
    });
  }
};

/** fetch refuses some ports before connecting (bad-port.ts): every delivery would fail, so refused at start. */
const allowedPort = (ctx: z.core.ParsePayload<string>): void => {
  const port = fetchBadPort(ctx.value);
  if (port !== null) ctx.issues.push({ code: 'custom', input: redactCredentials(ctx.value), message: `NETSENTRY_WEBHOOK_URLS: ${badPortMessage(ctx.value, port)}` });
};

export const SmtpSecurity = z.enum(['starttls', 'tls', 'none']);
export type SmtpSecurity = z.infer<typeof SmtpSecurity>;

export const EmailConfig = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  security: SmtpSecurity,
  auth: z.object({ user: z.string().min(1), pass: z.string().min(1) }).optional(),
  /** Sender mailbox: an address, or "Name <address>". */
  from: z.string().check(mailbox),
  /** Recipient mailboxes, same forms. */
  to: z.array(z.string().check(mailbox)).min(1),
  /** PEM text of extra trusted CAs. */
  ca: z.string().optional(),
  verifyTls: z.boolean(),
  /**
   * Longest time for one attempt, from its start (default DEFAULT_SMTP_DEADLINE_MS): a server that
   * trickles its replies never lets a socket timeout fire. Optional for code that builds a config
   * by hand; loadNotificationConfig always sets it.
   */
  deadlineMs: z.number().int().min(100).max(600_000).optional(),
});
export type EmailConfig = z.infer<typeof EmailConfig>;

export const WebhookConfig = z.object({
  urls: z.array(z.url({ protocol: /^https?$/ }).check(noCredentials, allowedPort)).min(1),
  secret: z.string().min(16),
});
export type WebhookConfig = z.infer<typeof WebhookConfig>;

export const RetryConfig = z
  .object({
    maxAttempts: z.number().int().min(1).max(10),
    baseDelayMs: z.number().int().min(0).max(60_000),
    maxDelayMs: z.number().int().min(0).max(300_000),
    timeoutMs: z.number().int().min(100).max(120_000),
  })
  // a first delay above the cap would be cut to the cap at once: surely a typo
  .check((ctx) => {
    const { baseDelayMs, maxDelayMs } = ctx.value;
    if (baseDelayMs > maxDelayMs) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        path: ['baseDelayMs'],
        message: `NETSENTRY_NOTIFY_BACKOFF_MS (${baseDelayMs}) must not exceed NETSENTRY_NOTIFY_MAX_BACKOFF_MS (${maxDelayMs})`,
      });
    }
  });
export type RetryConfig = z.infer<typeof RetryConfig>;

/**
 * Per destination: deliveries in progress at once (each holds its slot through its retries, so
 * a failing receiver is not hammered) and deliveries waiting for a slot. A delivery that finds
 * the queue full is folded into a digest of its rule type (target "*"), counted, never dropped.
 */
export const DeliveryConfig = z.object({
  concurrency: z.number().int().min(1).max(64),
  queueSize: z.number().int().min(0).max(10_000),
});
export type DeliveryConfig = z.infer<typeof DeliveryConfig>;

export const NotificationConfig = z.object({
  minSeverity: Severity,
  intervalSeconds: z.number().min(0).max(86_400),
  retry: RetryConfig,
  /** Optional for code that builds a config by hand; loadNotificationConfig always sets it. */
  delivery: DeliveryConfig.optional(),
  email: EmailConfig.optional(),
  webhook: WebhookConfig.optional(),
});
export type NotificationConfig = z.infer<typeof NotificationConfig>;

/** Several SMTP round trips (EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA), each capped by the 10 s timeout. */
export const DEFAULT_SMTP_DEADLINE_MS = 30_000;
export const DEFAULT_RETRY: RetryConfig = { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 30_000, timeoutMs: 10_000 };
/** Small on purpose: SMTP servers and webhook receivers limit connections per client. */
export const DEFAULT_DELIVERY: DeliveryConfig = { concurrency: 4, queueSize: 100 };

export type ConfigResult = { ok: true; config: NotificationConfig } | { ok: false; code: 'NOTIFY.BAD_CONFIG'; errors: string[] };

type Env = Record<string, string | undefined>;

const list = (v: string | undefined): string[] | undefined =>
  v === undefined || v.trim() === '' ? undefined : v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
const num = (v: string | undefined, d: number): number => (v === undefined || v.trim() === '' ? d : Number(v));

/**
 * Reads and validates the notification settings from the environment (once, at start). Fails
 * with every problem listed, so a deployment can be fixed in one go.
 */
export function loadNotificationConfig(env: Env = process.env): ConfigResult {
  const errors: string[] = [];
  const host = env.NETSENTRY_SMTP_HOST?.trim();
  let email: unknown;
  if (host) {
    const security = (env.NETSENTRY_SMTP_SECURITY ?? 'starttls').trim();
    const user = env.NETSENTRY_SMTP_USER;
    const pass = env.NETSENTRY_SMTP_PASS;
    if ((user && !pass) || (!user && pass)) errors.push('NETSENTRY_SMTP_USER and NETSENTRY_SMTP_PASS go together');
    let ca: string | undefined;
    if (env.NETSENTRY_SMTP_CA_FILE) {
      try {
        ca = readFileSync(env.NETSENTRY_SMTP_CA_FILE, 'utf8');
      } catch (e) {
        errors.push(`NETSENTRY_SMTP_CA_FILE: ${(e as Error).message}`);
      }
    }
    const verify = (env.NETSENTRY_SMTP_TLS_VERIFY ?? 'true').trim().toLowerCase();
    if (verify !== 'true' && verify !== 'false') errors.push('NETSENTRY_SMTP_TLS_VERIFY must be true or false');
    email = {
      host,
      port: num(env.NETSENTRY_SMTP_PORT, security === 'tls' ? 465 : 587),
      security,
      auth: user && pass ? { user, pass } : undefined,
      from: env.NETSENTRY_SMTP_FROM,
      to: list(env.NETSENTRY_SMTP_TO),
      ca,
      verifyTls: verify !== 'false',
      deadlineMs: num(env.NETSENTRY_SMTP_DEADLINE_MS, DEFAULT_SMTP_DEADLINE_MS),
    };
  }
  const urls = list(env.NETSENTRY_WEBHOOK_URLS);
  const webhook = urls ? { urls, secret: env.NETSENTRY_WEBHOOK_SECRET } : undefined;
  const raw = {
    minSeverity: (env.NETSENTRY_NOTIFY_MIN_SEVERITY ?? 'high').trim(),
    intervalSeconds: num(env.NETSENTRY_NOTIFY_INTERVAL_S, 300),
    retry: {
      maxAttempts: num(env.NETSENTRY_NOTIFY_MAX_ATTEMPTS, DEFAULT_RETRY.maxAttempts),
      baseDelayMs: num(env.NETSENTRY_NOTIFY_BACKOFF_MS, DEFAULT_RETRY.baseDelayMs),
      maxDelayMs: num(env.NETSENTRY_NOTIFY_MAX_BACKOFF_MS, DEFAULT_RETRY.maxDelayMs),
      timeoutMs: num(env.NETSENTRY_NOTIFY_TIMEOUT_MS, DEFAULT_RETRY.timeoutMs),
    },
    delivery: {
      concurrency: num(env.NETSENTRY_NOTIFY_CONCURRENCY, DEFAULT_DELIVERY.concurrency),
      queueSize: num(env.NETSENTRY_NOTIFY_QUEUE, DEFAULT_DELIVERY.queueSize),
    },
    email,
    webhook,
  };
  const p = NotificationConfig.safeParse(raw);
  if (!p.success) for (const i of p.error.issues) errors.push(`${i.path.join('.') || '(root)'}: ${i.message}`);
  if (errors.length > 0 || !p.success) return { ok: false, code: 'NOTIFY.BAD_CONFIG', errors };
  return { ok: true, config: p.data };
}
