import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNotificationConfig } from './config';

describe('loadNotificationConfig', () => {
  it('defaults: high and above, 5-minute interval, nothing configured', () => {
    const r = loadNotificationConfig({});
    expect(r).toEqual({
      ok: true,
      config: {
        minSeverity: 'high',
        intervalSeconds: 300,
        retry: { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 30000, timeoutMs: 10000 },
        delivery: { concurrency: 4, queueSize: 100 },
        email: undefined,
        webhook: undefined,
      },
    });
  });

  it('reads SMTP with STARTTLS, auth, CA file, and webhooks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netsentry-notify-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
      const r = loadNotificationConfig({
        NETSENTRY_NOTIFY_MIN_SEVERITY: 'medium',
        NETSENTRY_SMTP_HOST: 'mail.example.org',
        NETSENTRY_SMTP_USER: 'netsentry',
        NETSENTRY_SMTP_PASS: 'secret',
        NETSENTRY_SMTP_FROM: 'netsentry@example.org',
        NETSENTRY_SMTP_TO: 'soc@example.org, oncall@example.org',
        NETSENTRY_SMTP_CA_FILE: join(dir, 'ca.pem'),
        NETSENTRY_WEBHOOK_URLS: 'https://hooks.example.org/a,http://127.0.0.1:9000/b',
        NETSENTRY_WEBHOOK_SECRET: '0123456789abcdef0123',
      });
      if (!r.ok) throw new Error(r.errors.join('; '));
      expect(r.config.email).toMatchObject({ host: 'mail.example.org', port: 587, security: 'starttls', auth: { user: 'netsentry', pass: 'secret' }, to: ['soc@example.org', 'oncall@example.org'], verifyTls: true });
      expect(r.config.email?.ca).toContain('BEGIN CERTIFICATE');
      expect(r.config.webhook?.urls).toHaveLength(2);
      expect(loadNotificationConfig({ NETSENTRY_SMTP_HOST: 'h', NETSENTRY_SMTP_SECURITY: 'tls', NETSENTRY_SMTP_FROM: 'a@b', NETSENTRY_SMTP_TO: 'c@d' })).toMatchObject({ ok: true, config: { email: { port: 465 } } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the e-mail attempt deadline (default 30 s) and refuses one out of range', () => {
    const smtp = { NETSENTRY_SMTP_HOST: 'mail.example.org', NETSENTRY_SMTP_FROM: 'a@example.org', NETSENTRY_SMTP_TO: 'b@example.org' };
    expect(loadNotificationConfig(smtp)).toMatchObject({ ok: true, config: { email: { deadlineMs: 30_000 } } });
    expect(loadNotificationConfig({ ...smtp, NETSENTRY_SMTP_DEADLINE_MS: '5000' })).toMatchObject({ ok: true, config: { email: { deadlineMs: 5000 } } });
    for (const bad of ['50', '1e9', 'soon']) {
      const r = loadNotificationConfig({ ...smtp, NETSENTRY_SMTP_DEADLINE_MS: bad });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors.join('\n')).toContain('email.deadlineMs');
    }
  });

  it('fails fast with every problem listed', () => {
    const r = loadNotificationConfig({
      NETSENTRY_NOTIFY_MIN_SEVERITY: 'urgent',
      NETSENTRY_NOTIFY_MAX_ATTEMPTS: '99',
      NETSENTRY_SMTP_HOST: 'mail.example.org',
      NETSENTRY_SMTP_USER: 'only-user',
      NETSENTRY_SMTP_SECURITY: 'ssl3',
      NETSENTRY_WEBHOOK_URLS: 'ftp://x.example.org/',
      NETSENTRY_WEBHOOK_SECRET: 'short',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('NOTIFY.BAD_CONFIG');
    const text = r.errors.join('\n');
    for (const part of ['NETSENTRY_SMTP_USER and NETSENTRY_SMTP_PASS', 'minSeverity', 'retry.maxAttempts', 'email.security', 'email.from', 'email.to', 'webhook.urls', 'webhook.secret']) {
      expect(text).toContain(part);
    }
  });

  it('reads the delivery bounds per destination', () => {
    expect(loadNotificationConfig({ NETSENTRY_NOTIFY_CONCURRENCY: '2', NETSENTRY_NOTIFY_QUEUE: '0' })).toMatchObject({ ok: true, config: { delivery: { concurrency: 2, queueSize: 0 } } });
    const r = loadNotificationConfig({ NETSENTRY_NOTIFY_CONCURRENCY: '0', NETSENTRY_NOTIFY_QUEUE: '1e9' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toMatch(/delivery\.concurrency[\s\S]*delivery\.queueSize/);
  });

  it('refuses a first backoff above the cap', () => {
    const r = loadNotificationConfig({ NETSENTRY_NOTIFY_BACKOFF_MS: '5000', NETSENTRY_NOTIFY_MAX_BACKOFF_MS: '10' });
    expect(r).toEqual({ ok: false, code: 'NOTIFY.BAD_CONFIG', errors: ['retry.baseDelayMs: NETSENTRY_NOTIFY_BACKOFF_MS (5000) must not exceed NETSENTRY_NOTIFY_MAX_BACKOFF_MS (10)'] });
    expect(loadNotificationConfig({ NETSENTRY_NOTIFY_BACKOFF_MS: '10', NETSENTRY_NOTIFY_MAX_BACKOFF_MS: '10' }).ok).toBe(true);
  });

  it('refuses what is not an e-mail address, accepts display names', () => {
    const smtp = { NETSENTRY_SMTP_HOST: 'mail.example.org' };
    const r = loadNotificationConfig({ ...smtp, NETSENTRY_SMTP_FROM: 'not an address', NETSENTRY_SMTP_TO: 'soc@example.org, nobody' });
    expect(r).toEqual({
      ok: false,
      code: 'NOTIFY.BAD_CONFIG',
      errors: [
        'email.from: "not an address" is not an e-mail address (a@example.org or "Name <a@example.org>")',
        'email.to.1: "nobody" is not an e-mail address (a@example.org or "Name <a@example.org>")',
      ],
    });
    expect(loadNotificationConfig({ ...smtp, NETSENTRY_SMTP_FROM: 'NetSentry <netsentry@example.org>', NETSENTRY_SMTP_TO: '"SOC team" <soc@example.org>,root@localhost' })).toMatchObject({
      ok: true,
      config: { email: { from: 'NetSentry <netsentry@example.org>', to: ['"SOC team" <soc@example.org>', 'root@localhost'] } },
    });
  });

  it('refuses a webhook URL on a port fetch refuses, naming the variable and the port', () => {
    const r = loadNotificationConfig({
      NETSENTRY_WEBHOOK_URLS: 'https://hooks.example.org/a,http://127.0.0.1:6000/b,https://ops:hunter2@hooks.example.org:25/c,https://hooks.example.org:8443/d',
      NETSENTRY_WEBHOOK_SECRET: '0123456789abcdef0123',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toContain(
      'webhook.urls.1: NETSENTRY_WEBHOOK_URLS: http://127.0.0.1:6000/b is on port 6000, which fetch refuses to connect to (a blocked port of the Fetch standard); move the receiver to another port',
    );
    expect(r.errors.join('\n')).toMatch(/webhook\.urls\.2: NETSENTRY_WEBHOOK_URLS: https:\/\/\*\*\*@hooks\.example\.org:25\/c is on port 25,/);
    expect(r.errors.join('\n')).not.toContain('hunter2');
    expect(r.errors.join('\n')).not.toMatch(/urls\.[03]/);
  });

  it('refuses a webhook URL with user:password and never prints the password', () => {
    const r = loadNotificationConfig({ NETSENTRY_WEBHOOK_URLS: 'https://hooks.example.org/a,https://ops:hunter2@hooks.example.org/b', NETSENTRY_WEBHOOK_SECRET: '0123456789abcdef0123' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^webhook\.urls\.1: https:\/\/\*\*\*@hooks\.example\.org\/b has a user name or password in it.*NETSENTRY_WEBHOOK_SECRET/);
    expect(r.errors[0]).not.toContain('hunter2');
  });
});
