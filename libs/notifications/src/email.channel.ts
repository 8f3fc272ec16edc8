import { connect, type Socket } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import { DEFAULT_SMTP_DEADLINE_MS, type EmailConfig } from './config';
import { renderEmail, type NotificationV1 } from './message';
import type { AttemptResult } from './retry';

/** What nodemailer says about recipients the server refused (RCPT TO), on an error or a sent mail. */
interface Refusals {
  rejected?: string[];
  rejectedErrors?: { recipient?: string; responseCode?: number; response?: string; message: string }[];
}

/**
 * Failures that will not change on a retry: bad credentials, an envelope nodemailer cannot
 * build (no valid sender or recipient: EENVELOPE without a server reply), SMTP 5xx replies. A
 * 4xx reply is temporary even on the envelope: a server that greylists answers 451 to the first
 * RCPT TO and takes the mail on a later attempt.
 */
export function permanent(e: { responseCode?: number; code?: string } & Refusals): boolean {
  if (e.code === 'EAUTH') return true;
  // every recipient refused: final only when every refusal was
  if (e.rejectedErrors?.length) return e.rejectedErrors.every((r) => fivexx(r.responseCode));
  if (typeof e.responseCode === 'number') return fivexx(e.responseCode);
  return e.code === 'EENVELOPE';
}

function fivexx(code: number | undefined): boolean {
  return typeof code === 'number' && code >= 500 && code < 600;
}

/** `addr (451 …)` for each refused recipient, for failure reasons. */
function describeRefusals(errors: NonNullable<Refusals['rejectedErrors']>): string {
  return errors.map((r) => `${r.recipient ?? '?'} (${r.response ?? r.message})`).join(', ');
}

/** One SMTP session: a nodemailer pool of one connection, and the sockets it opened. */
interface Session {
  transport: Transporter;
  sockets: Set<Socket>;
}

type SocketCallback = (err: Error | null, socketOptions?: { connection: Socket }) => void;

/**
 * Opens the TCP connection for nodemailer (which starts TLS on it, implicit or by STARTTLS) and
 * keeps it in `sockets`, so that an attempt past its deadline can be cut off: nodemailer has no
 * way to cancel a send in progress.
 */
function openSocket(host: string, port: number, timeoutMs: number, sockets: Set<Socket>, cb: SocketCallback): void {
  const socket = connect({ host, port });
  sockets.add(socket);
  let answered = false;
  const answer = (err: Error | null): void => {
    if (answered) return;
    answered = true;
    if (err) cb(err);
    else cb(null, { connection: socket });
  };
  const onTimeout = (): void => {
    socket.destroy(Object.assign(new Error(`Connection timeout (${timeoutMs} ms)`), { code: 'ETIMEDOUT' }));
  };
  socket.setTimeout(timeoutMs);
  socket.once('timeout', onTimeout);
  socket.once('connect', () => {
    // from here nodemailer sets its own socket timeout
    socket.removeListener('timeout', onTimeout);
    socket.setTimeout(0);
    answer(null);
  });
  // stays for the socket's life: an 'error' without a listener would crash the process
  socket.on('error', (e) => answer(e));
  socket.once('close', () => {
    sockets.delete(socket);
    answer(Object.assign(new Error('Connection closed'), { code: 'ECONNECTION' }));
  });
}

/**
 * Email destination over SMTP (nodemailer): STARTTLS required (`starttls`), implicit TLS
 * (`tls`), or plain (`none`, for a local relay only); AUTH when credentials are configured.
 * At most `maxConnections` sessions, each reused for up to 100 messages, instead of one session
 * per message (500 alerts at once opened 524 sessions and lost 500 mails).
 *
 * Each attempt ends by `deadlineMs` from its start. nodemailer's timeouts only catch silence (no
 * connection, no greeting, no byte for `timeoutMs`): a server answering one byte a second kept
 * an attempt, and one of the destination's delivery slots, for as long as it liked. Past the
 * deadline the session's connection is destroyed, the slot gets a fresh session, and the
 * attempt is a retriable failure. A server that had taken the whole message before the
 * deadline may still deliver it: delivery is at least once.
 */
export class EmailChannel {
  /**
   * Per message being delivered: the recipients still to reach (after some were refused for now
   * on an attempt) and those refused for good. The retry hands the same message object back.
   */
  private readonly partial = new WeakMap<NotificationV1, { to: string[]; refused: string[] }>();
  private readonly idle: Session[] = [];
  private readonly waiting: ((s: Session) => void)[] = [];
  private readonly deadlineMs: number;

  constructor(
    private readonly cfg: EmailConfig,
    private readonly timeoutMs: number,
    maxConnections = 1,
  ) {
    this.deadlineMs = cfg.deadlineMs ?? DEFAULT_SMTP_DEADLINE_MS;
    for (let i = 0; i < maxConnections; i++) this.idle.push(this.session());
  }

  get name(): string {
    return `email:${this.cfg.to.join(',')}`;
  }

  async send(m: NotificationV1): Promise<AttemptResult> {
    const { subject, text } = renderEmail(m);
    const session = await this.acquire();
    // the clock starts here, when the attempt has a session, not while it waited for one
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.deadlineMs)));
    const to = this.partial.get(m)?.to ?? this.cfg.to;
    const attempt = session.transport.sendMail({ from: this.cfg.from, to, subject, text }).then(
      (info: Refusals): AttemptResult => this.recipientsOutcome(m, info.rejectedErrors ?? []),
      (e: unknown): AttemptResult => {
        const err = e as Error & { responseCode?: number; code?: string } & Refusals;
        return { ok: false, retriable: !permanent(err), reason: `${err.code ?? 'SMTP'}: ${err.message}${err.rejectedErrors?.length ? ` (${describeRefusals(err.rejectedErrors)})` : ''}` };
      },
    );
    const r = await Promise.race([attempt, late]);
    clearTimeout(timer);
    if (r !== 'late' && r.ok) {
      this.release(session);
      return r;
    }
    // After any failure the slot gets a fresh session: nodemailer closes the connection after a
    // failed send anyway, and a pool whose socket could not be opened (getSocket's error) keeps
    // its one connection marked busy for ever. An abandoned sendMail fails once its socket is
    // gone; `attempt` has already caught that.
    this.drop(session);
    this.release(this.session());
    if (r !== 'late') return r;
    return {
      ok: false,
      retriable: true,
      reason: `ETIMEDOUT: not sent within the ${this.deadlineMs} ms deadline of an attempt (NETSENTRY_SMTP_DEADLINE_MS); connection dropped`,
    };
  }

  close(): void {
    for (const s of this.idle.splice(0)) s.transport.close();
  }

  /**
   * A mail the server took, with some recipients refused: it was sent to the others. Those
   * refused for now (4xx) are tried again (later attempts of this message go to them alone); a
   * recipient refused for good (5xx) makes the delivery a failure once nothing is left to retry,
   * so it is counted and reported, never taken for sent.
   */
  private recipientsOutcome(m: NotificationV1, refusals: NonNullable<Refusals['rejectedErrors']>): AttemptResult {
    const before = this.partial.get(m)?.refused ?? [];
    const later = refusals.filter((r) => !fivexx(r.responseCode));
    const refused = [...before, ...refusals.filter((r) => fivexx(r.responseCode)).map((r) => describeRefusals([r]))];
    if (later.length > 0) {
      this.partial.set(m, { to: later.map((r) => r.recipient ?? '').filter(Boolean), refused });
      return { ok: false, retriable: true, reason: `EENVELOPE: recipients refused for now, to be tried again: ${describeRefusals(later)}` + (refused.length ? `; refused for good: ${refused.join(', ')}` : '') };
    }
    this.partial.delete(m);
    if (refused.length > 0) return { ok: false, retriable: false, reason: `EENVELOPE: recipients refused for good (the others got it): ${refused.join(', ')}` };
    return { ok: true };
  }

  private session(): Session {
    const cfg = this.cfg;
    const sockets = new Set<Socket>();
    const transport = nodemailer.createTransport({
      pool: true,
      maxConnections: 1,
      maxMessages: 100,
      host: cfg.host,
      port: cfg.port,
      secure: cfg.security === 'tls',
      requireTLS: cfg.security === 'starttls',
      ignoreTLS: cfg.security === 'none',
      auth: cfg.auth ? { user: cfg.auth.user, pass: cfg.auth.pass } : undefined,
      tls: { rejectUnauthorized: cfg.verifyTls, ca: cfg.ca },
      connectionTimeout: this.timeoutMs,
      greetingTimeout: this.timeoutMs,
      socketTimeout: this.timeoutMs,
      getSocket: (_options, cb) => openSocket(cfg.host, cfg.port, this.timeoutMs, sockets, cb),
    });
    // failures reach sendMail's caller; an 'error' event without a listener would crash the process
    transport.on('error', () => undefined);
    return { transport, sockets };
  }

  /** Ends a session now, whatever it is doing. */
  private drop(s: Session): void {
    s.transport.close();
    for (const socket of s.sockets) socket.destroy();
  }

  /** A free session; the most recently used first, so a burst reuses warm connections. */
  private acquire(): Promise<Session> {
    const s = this.idle.pop();
    return s ? Promise.resolve(s) : new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(s: Session): void {
    const next = this.waiting.shift();
    if (next) next(s);
    else this.idle.push(s);
  }
}
