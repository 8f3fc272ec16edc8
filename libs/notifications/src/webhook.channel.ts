import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AttemptResult } from './retry';
import type { NotificationV1 } from './message';

export const SIGNATURE_HEADER = 'X-NetSentry-Signature';

/** `sha256=<hex>` HMAC-SHA256 of the raw body with the shared secret. */
export function signBody(secret: string, body: string | Buffer): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

/** Receiver side: constant-time check of a signature header against the raw body. */
export function verifySignature(secret: string, body: string | Buffer, header: string | undefined | null): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(secret, body));
  const got = Buffer.from(header);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/**
 * One webhook destination: POSTs the notification as JSON with its HMAC signature. A network
 * error, a timeout, 408, 429 and 5xx are retriable; other non-2xx answers are final (the
 * receiver rejected the message, sending it again will not help).
 */
export class WebhookChannel {
  constructor(
    readonly url: string,
    private readonly secret: string,
    private readonly timeoutMs: number,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  get name(): string {
    return `webhook:${this.url}`;
  }

  async send(m: NotificationV1): Promise<AttemptResult> {
    const body = JSON.stringify(m);
    let res: Response;
    try {
      res = await this.fetchImpl(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'NetSentry-Notifier/1',
          [SIGNATURE_HEADER]: signBody(this.secret, body),
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      return { ok: false, retriable: true, reason: `${err.name}: ${err.cause?.code ?? err.message}` };
    }
    // drain the body so the connection is released
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return { ok: true };
    const retriable = res.status === 408 || res.status === 429 || res.status >= 500;
    return { ok: false, retriable, reason: `HTTP ${res.status}` };
  }
}
