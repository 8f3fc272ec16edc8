import nodemailer, { type Transporter } from 'nodemailer';
import type { EmailConfig } from './config';
import { renderEmail, type NotificationV1 } from './message';
import type { AttemptResult } from './retry';

/**
 * Failures that will not change on a retry: bad credentials, an envelope nodemailer cannot
 * build (no valid sender or recipient: EENVELOPE), SMTP 5xx replies.
 */
export function permanent(e: { responseCode?: number; code?: string }): boolean {
  if (e.code === 'EAUTH' || e.code === 'EENVELOPE') return true;
  return typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
}

/**
 * Email destination over SMTP (nodemailer): STARTTLS required (`starttls`), implicit TLS
 * (`tls`), or plain (`none`, for a local relay only); AUTH when credentials are configured.
 * A pool of at most `maxConnections` sessions, reused for many messages, instead of one session
 * per message (500 alerts at once opened 524 sessions and lost 500 mails).
 */
export class EmailChannel {
  private readonly transport: Transporter;

  constructor(
    private readonly cfg: EmailConfig,
    timeoutMs: number,
    maxConnections = 1,
  ) {
    this.transport = nodemailer.createTransport({
      pool: true,
      maxConnections,
      maxMessages: 100,
      host: cfg.host,
      port: cfg.port,
      secure: cfg.security === 'tls',
      requireTLS: cfg.security === 'starttls',
      ignoreTLS: cfg.security === 'none',
      auth: cfg.auth ? { user: cfg.auth.user, pass: cfg.auth.pass } : undefined,
      tls: { rejectUnauthorized: cfg.verifyTls, ca: cfg.ca },
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
    // failures reach sendMail's caller; an 'error' event without a listener would crash the process
    this.transport.on('error', () => undefined);
  }

  get name(): string {
    return `email:${this.cfg.to.join(',')}`;
  }

  async send(m: NotificationV1): Promise<AttemptResult> {
    const { subject, text } = renderEmail(m);
    try {
      await this.transport.sendMail({ from: this.cfg.from, to: this.cfg.to, subject, text });
      return { ok: true };
    } catch (e) {
      const err = e as Error & { responseCode?: number; code?: string };
      return { ok: false, retriable: !permanent(err), reason: `${err.code ?? 'SMTP'}: ${err.message}` };
    }
  }

  close(): void {
    this.transport.close();
  }
}
