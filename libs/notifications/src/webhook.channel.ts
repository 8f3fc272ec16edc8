import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AttemptResult } from './retry';
import type { NotificationV1 } from './message';
import { badPortMessage } from './bad-port';
import { redactCredentials } from './redact';

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`. */
export const SIGNATURE_HEADER = 'X-NetSentry-Signature';
/** Unix time in seconds when the attempt was signed (decimal digits). */
export const TIMESTAMP_HEADER = 'X-NetSentry-Timestamp';
/** How far a signed timestamp may be from the receiver's clock (5 minutes, as Stripe does). */
export const DEFAULT_TOLERANCE_S = 300;

/**
 * The signature header for a body sent at `timestamp` (unix seconds). The timestamp is signed
 * with the body, so a captured request cannot be replayed once it is older than the tolerance.
 */
export function signBody(secret: string, timestamp: number, body: string | Buffer): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

export interface VerifyOptions {
  /** Largest allowed |now − timestamp| in seconds (default 300). */
  toleranceS?: number;
  /** Receiver's clock in ms (default Date.now). */
  now?: () => number;
}

const TIMESTAMP = /^\d{1,12}$/;

/**
 * Receiver side: true when `signatureHeader` is the HMAC of `${timestampHeader}.${rawBody}` and
 * the timestamp is within the tolerance of now (either way: clocks drift). The HMAC is compared
 * in constant time. `rawBody` must be the bytes received, not re-serialised JSON.
 */
export function verifySignature(
  secret: string,
  rawBody: string | Buffer,
  signatureHeader: string | undefined | null,
  timestampHeader: string | undefined | null,
  opts: VerifyOptions = {},
): boolean {
  if (!signatureHeader || !timestampHeader || !TIMESTAMP.test(timestampHeader)) return false;
  const ts = Number(timestampHeader);
  const nowS = (opts.now ?? Date.now)() / 1000;
  if (Math.abs(nowS - ts) > (opts.toleranceS ?? DEFAULT_TOLERANCE_S)) return false;
  const expected = Buffer.from(signBody(secret, ts, rawBody));
  const got = Buffer.from(signatureHeader);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/**
 * Why a fetch rejected: a network fault or a timeout may pass; a request fetch refuses to build
 * will not, nor one to a port it refuses ("bad port", checked before any connection: undici
 * rejects with a cause like a network fault's, so it must be told apart by its message).
 */
function fetchFailure(e: unknown, url: string): AttemptResult {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.cause?.message === 'bad port') return { ok: false, retriable: false, reason: `bad port: ${badPortMessage(url, new URL(url).port)}` };
  const transient = err.name === 'TimeoutError' || err.name === 'AbortError' || err.cause !== undefined;
  const detail = err.cause?.code ?? err.cause?.message ?? err.message;
  return { ok: false, retriable: transient, reason: redactCredentials(`${err.name}: ${detail}`) };
}

/** What an HTTP status means for the delivery. */
export function statusResult(status: number): AttemptResult {
  if (status >= 200 && status < 300) return { ok: true };
  // a receiver that moved must be reconfigured; re-POSTing a signed alert to wherever a
  // Location points would hand it to a third party
  if (status >= 300 && status < 400) return { ok: false, retriable: false, reason: `HTTP ${status}: redirects are not followed` };
  const retriable = status === 408 || status === 429 || status >= 500;
  return { ok: false, retriable, reason: `HTTP ${status}` };
}

/**
 * One webhook destination: POSTs the notification as JSON, signed with a fresh timestamp per
 * attempt (a retry after a long backoff is not stale). A network error, a timeout, 408, 429 and
 * 5xx are retriable; 3xx and other non-2xx answers are final (sending again will not help), and
 * so are a URL fetch refuses to send to (credentials in it, a blocked port).
 */
export class WebhookChannel {
  constructor(
    readonly url: string,
    private readonly secret: string,
    private readonly timeoutMs: number,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly now: () => number = Date.now,
  ) {}

  get name(): string {
    return `webhook:${redactCredentials(this.url)}`;
  }

  async send(m: NotificationV1): Promise<AttemptResult> {
    const body = JSON.stringify(m);
    const timestamp = Math.floor(this.now() / 1000);
    let res: Response;
    try {
      // the clock starts here, when the attempt does: the notifier queues before calling send
      const signal = AbortSignal.timeout(this.timeoutMs);
      res = await this.fetchImpl(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'NetSentry-Notifier/1',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signBody(this.secret, timestamp, body),
        },
        body,
        signal,
        redirect: 'manual',
      });
      // drain the body so the connection is released (bounded by the same signal)
      await res.arrayBuffer().catch(() => undefined);
    } catch (e) {
      return fetchFailure(e, this.url);
    }
    return statusResult(res.status);
  }
}
