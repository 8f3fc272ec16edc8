import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { haveCommand, itIf } from '@netsentry/testing';
import { AlertNotifier } from './notifier';
import type { EmailConfig } from './config';
import { alert, config, within } from './notifications.fixtures';

const haveOpenssl = haveCommand('openssl');
const itTls = itIf(haveOpenssl, 'openssl is not installed (needed to make a self-signed certificate)');

interface Mail {
  from: string;
  to: string[];
  data: string;
  user?: string;
  secure: boolean;
}

/** A real SMTP server on 127.0.0.1 that records what it receives. */
async function smtp(opts: Partial<SMTPServerOptions>): Promise<{ server: SMTPServer; port: number; mails: Mail[]; sessions: { open: number; max: number; total: number } }> {
  const mails: Mail[] = [];
  const sessions = { open: 0, max: 0, total: 0 };
  const server = new SMTPServer({
    disabledCommands: [],
    logger: false,
    onConnect(_session, cb) {
      sessions.open++;
      sessions.total++;
      sessions.max = Math.max(sessions.max, sessions.open);
      cb();
    },
    onClose() {
      sessions.open--;
    },
    onAuth(auth, _session, cb) {
      if (auth.username === 'netsentry' && auth.password === 'right-password') cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString('utf8'),
          user: session.user as string | undefined,
          secure: session.secure,
        });
        cb();
      });
    },
    ...opts,
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.server.address() as AddressInfo).port, mails, sessions };
}

/** Body text of a quoted-printable message (nodemailer's encoding for long or '=' lines). */
const qp = (data: string): string => data.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));

const stop = (s: SMTPServer): Promise<void> => new Promise((resolve) => s.close(() => resolve()));

describe('email over SMTP', () => {
  let dir = '';
  let key = '';
  let cert = '';
  beforeAll(() => {
    if (!haveOpenssl) return;
    dir = mkdtempSync(join(tmpdir(), 'netsentry-smtp-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    key = readFileSync(join(dir, 'key.pem'), 'utf8');
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const email = (port: number, over: Partial<EmailConfig> = {}): EmailConfig => ({
    host: '127.0.0.1',
    port,
    security: 'starttls',
    auth: { user: 'netsentry', pass: 'right-password' },
    from: 'netsentry@lab.test',
    to: ['soc@lab.test'],
    ca: cert,
    verifyTls: true,
    ...over,
  });

  itTls('delivers an alert with STARTTLS (self-signed CA trusted) and AUTH', async () => {
    const s = await smtp({ key, cert, authOptional: false });
    const n = new AlertNotifier(config({ email: email(s.port) }));
    try {
      await n.notify(alert({ severity: 'critical', summary: 'SYN flood: 5000 SYNs/s to 10.0.0.9 from 300 sources.' , type: 'syn_flood' }));
      expect(n.stats).toMatchObject({ sent: 1, failed: 0 });
      expect(s.mails).toHaveLength(1);
      const m = s.mails[0];
      expect(m.secure).toBe(true); // upgraded with STARTTLS before the message
      expect(m.user).toBe('netsentry');
      expect(m.from).toBe('netsentry@lab.test');
      expect(m.to).toEqual(['soc@lab.test']);
      expect(m.data).toMatch(/Subject: \[NetSentry\] CRITICAL syn_flood: 10\.0\.0\.5 -> 10\.0\.0\.9/);
      expect(m.data).toContain('SYN flood: 5000 SYNs/s');
      expect(qp(m.data)).toContain('distinct_dst_ports = 250 (>= 20 over 60 s)');
    } finally {
      await n.close();
      await stop(s.server);
    }
  });

  itTls('delivers over implicit TLS (port-465 style)', async () => {
    const s = await smtp({ key, cert, secure: true, authOptional: false });
    const n = new AlertNotifier(config({ email: email(s.port, { security: 'tls' }) }));
    try {
      await n.notify(alert());
      expect(s.mails).toHaveLength(1);
      expect(s.mails[0].secure).toBe(true);
    } finally {
      await n.close();
      await stop(s.server);
    }
  });

  itTls('refuses a server whose certificate it cannot verify, counts the failure, never throws', async () => {
    const s = await smtp({ key, cert, authOptional: false });
    const n = new AlertNotifier(config({ retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 10, timeoutMs: 2000 }, email: email(s.port, { ca: undefined }) }));
    try {
      await expect(n.notify(alert())).resolves.toBeUndefined();
      expect(s.mails).toHaveLength(0);
      expect(n.stats.failed).toBe(1);
    } finally {
      await n.close();
      await stop(s.server);
    }
  });

  itTls('does not retry bad credentials (permanent), counts the failure', async () => {
    const s = await smtp({ key, cert, authOptional: false });
    let authTries = 0;
    const n = new AlertNotifier(config({ email: email(s.port, { auth: { user: 'netsentry', pass: 'wrong' } }) }));
    try {
      await n.notify(alert());
      authTries = n.stats.retries;
      expect(s.mails).toHaveLength(0);
      expect(n.stats).toMatchObject({ sent: 0, failed: 1 });
      expect(authTries).toBe(0);
    } finally {
      await n.close();
      await stop(s.server);
    }
  });

  it('rate-limits email like webhooks: one message, then a digest', async () => {
    const s = await smtp({ authOptional: true, disabledCommands: ['STARTTLS'] });
    let t = 0;
    const n = new AlertNotifier(config({ intervalSeconds: 10, email: email(s.port, { security: 'none', auth: undefined, ca: undefined }) }), { now: () => t });
    try {
      await n.notify(alert({ id: 'one' }));
      await n.notify(alert({ id: 'two' }));
      await n.notify(alert({ id: 'three' }));
      expect(s.mails).toHaveLength(1);
      t = 10_000;
      await n.tick();
      expect(s.mails).toHaveLength(2);
      expect(s.mails[1].data).toMatch(/Subject: \[NetSentry\] digest: 2 more port_scan alert\(s\) for 10\.0\.0\.9/);
      expect(qp(s.mails[1].data)).toContain('alert id three');
    } finally {
      await n.close();
      await stop(s.server);
    }
  });

  it('sends a burst over a few pooled sessions instead of one session per mail', async () => {
    const s = await smtp({ authOptional: true, disabledCommands: ['STARTTLS'] });
    const n = new AlertNotifier(config({ delivery: { concurrency: 2, queueSize: 100 }, email: email(s.port, { security: 'none', auth: undefined, ca: undefined }) }));
    try {
      await Promise.all(Array.from({ length: 16 }, (_, i) => n.notify(alert({ id: `m-${i}`, targets: [`10.3.0.${i}`] }))));
      expect(n.stats).toMatchObject({ sent: 16, failed: 0 });
      expect(s.mails).toHaveLength(16);
      expect(s.sessions.max).toBeLessThanOrEqual(2);
      expect(s.sessions.total).toBeLessThanOrEqual(2);
    } finally {
      await n.close();
      await stop(s.server);
    }
  });

  it('retries a server that is down with backoff, then counts the failure', async () => {
    const s = await smtp({ authOptional: true, disabledCommands: ['STARTTLS'] });
    const { port } = s;
    await stop(s.server); // nothing listens there any more
    const reasons: string[] = [];
    // a deadline well past the bound below: a retry stuck behind the first failure shows as 'still running'
    const n = new AlertNotifier(
      config({ retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20, timeoutMs: 2000 }, email: email(port, { security: 'none', auth: undefined, ca: undefined, deadlineMs: 10_000 }) }),
      { onFailure: (_c, _m, reason) => reasons.push(reason) },
    );
    try {
      expect(await within(n.notify(alert()), 5000)).toBeUndefined();
      expect(n.stats).toMatchObject({ sent: 0, failed: 1, retries: 2 });
      expect(reasons).toEqual([expect.stringMatching(/^ECONNREFUSED: /)]);
    } finally {
      await n.close();
    }
  });

  it('does not retry a sender or recipients nodemailer cannot use (EENVELOPE is final)', async () => {
    const s = await smtp({ authOptional: true, disabledCommands: ['STARTTLS'] });
    const reasons: string[] = [];
    const n = new AlertNotifier(config({ email: email(s.port, { security: 'none', auth: undefined, ca: undefined, from: 'not an address', to: ['nobody'] }) }), {
      onFailure: (_c, _m, reason) => reasons.push(reason),
    });
    try {
      await n.notify(alert());
      expect(n.stats).toMatchObject({ sent: 0, failed: 1, retries: 0 });
      expect(reasons[0]).toMatch(/^EENVELOPE/);
      expect(s.mails).toHaveLength(0);
    } finally {
      await n.close();
      await stop(s.server);
    }
  });
  // A server that greylists (RFC 6647): 451 to the first RCPT TO of each recipient, accepted on a
  // later attempt. A 4xx is temporary even on the envelope; every recipient refused for now was
  // taken for a final EENVELOPE and the alert never sent.
  it('retries recipients refused for now (451, greylisting), and only them', async () => {
    const seen = new Set<string>();
    const s = await smtp({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onRcptTo(addr, _session, cb) {
        if (addr.address.startsWith('grey') && !seen.has(addr.address)) {
          seen.add(addr.address);
          cb(Object.assign(new Error('greylisted, try again later'), { responseCode: 451 }));
        } else cb();
      },
    });
    const reasons: string[] = [];
    const only = new AlertNotifier(config({ email: email(s.port, { security: 'none', auth: undefined, ca: undefined, to: ['grey-a@example.org'] }) }), {
      onFailure: (_c, _m, reason) => reasons.push(reason),
    });
    const mixed = new AlertNotifier(config({ email: email(s.port, { security: 'none', auth: undefined, ca: undefined, to: ['ops@example.org', 'grey-b@example.org'] }) }), {
      onFailure: (_c, _m, reason) => reasons.push(reason),
    });
    try {
      // Every recipient refused for now: retried, then sent.
      await only.notify(alert());
      expect(only.stats).toMatchObject({ sent: 1, failed: 0, retries: 1 });
      // One of two refused for now: the mail went to the other; the retry goes to it alone.
      await mixed.notify(alert());
      expect(mixed.stats).toMatchObject({ sent: 1, failed: 0, retries: 1 });
      expect(reasons).toEqual([]);
      expect(s.mails.map((m) => m.to)).toEqual([['grey-a@example.org'], ['ops@example.org'], ['grey-b@example.org']]);
    } finally {
      await only.close();
      await mixed.close();
      await stop(s.server);
    }
  });

  // A recipient refused for good (550) beside one that takes the mail: nodemailer resolves (the
  // mail was sent to the other), which was counted as sent: the refused recipient was lost
  // without a word. It is a failure, reported with the recipient and the reply, not retried.
  it('reports a recipient refused for good when the others got the mail', async () => {
    const s = await smtp({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onRcptTo(addr, _session, cb) {
        if (addr.address.startsWith('typo')) cb(Object.assign(new Error('no such user'), { responseCode: 550 }));
        else cb();
      },
    });
    const reasons: string[] = [];
    const n = new AlertNotifier(config({ email: email(s.port, { security: 'none', auth: undefined, ca: undefined, to: ['ops@example.org', 'typo@example.org'] }) }), {
      onFailure: (_c, _m, reason) => reasons.push(reason),
    });
    try {
      await n.notify(alert());
      expect(n.stats).toMatchObject({ sent: 0, failed: 1, retries: 0 });
      expect(reasons).toEqual([expect.stringMatching(/^EENVELOPE: recipients refused for good \(the others got it\): typo@example\.org \(550 no such user\)$/)]);
      expect(s.mails.map((m) => m.to)).toEqual([['ops@example.org']]);
    } finally {
      await n.close();
      await stop(s.server);
    }
  });
});
