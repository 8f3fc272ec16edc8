import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlertNotifier } from './notifier';
import { NotificationV1 } from './message';
import { SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER, verifySignature, WebhookChannel } from './webhook.channel';
import { alert, config } from './notifications.fixtures';

const SECRET = 'test-secret-0123456789';

interface Received {
  body: string;
  signature: string | undefined;
  timestamp: string | undefined;
  valid: boolean;
}

/** A local webhook receiver that checks signatures; `answers` scripts its status codes. */
async function receiver(answers: number[] = []): Promise<{ server: Server; url: string; got: Received[] }> {
  const got: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const signature = req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined;
      const timestamp = req.headers[TIMESTAMP_HEADER.toLowerCase()] as string | undefined;
      got.push({ body, signature, timestamp, valid: verifySignature(SECRET, body, signature, timestamp) });
      res.statusCode = answers.shift() ?? 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/hook`, got };
}

const close = (s: Server): Promise<void> => new Promise((resolve) => s.close(() => resolve()));

/** A port with nothing listening: bind, note the port, close. */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await close(s);
  return `http://127.0.0.1:${port}/hook`;
}

describe('webhooks', () => {
  it('POSTs alerts at or above the severity as signed JSON that the receiver verifies', async () => {
    const r = await receiver();
    const n = new AlertNotifier(config({ minSeverity: 'high', webhook: { urls: [r.url], secret: SECRET } }));
    try {
      await n.notify(alert({ id: 'hi', severity: 'high' }));
      await n.notify(alert({ id: 'crit', severity: 'critical', type: 'ddos' }));
      await n.notify(alert({ id: 'med', severity: 'medium', type: 'syn_flood' }));
      expect(r.got).toHaveLength(2);
      for (const g of r.got) {
        expect(g.valid).toBe(true);
        expect(g.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
        expect(NotificationV1.parse(JSON.parse(g.body)).kind).toBe('alert');
      }
      expect(JSON.parse(r.got[1].body).alert.id).toBe('crit');
      const [g] = r.got;
      expect(verifySignature('another-secret-123456', g.body, g.signature, g.timestamp)).toBe(false);
      expect(verifySignature(SECRET, g.body + ' ', g.signature, g.timestamp)).toBe(false);
      expect(n.stats).toMatchObject({ received: 3, belowSeverity: 1, sent: 2, failed: 0 });
    } finally {
      await n.close();
      await close(r.server);
    }
  });

  it('rate-limits per rule type and target and sends a digest of the rest after the interval', async () => {
    const r = await receiver();
    let t = 1_000_000;
    const n = new AlertNotifier(config({ intervalSeconds: 60, webhook: { urls: [r.url], secret: SECRET } }), { now: () => t });
    try {
      for (let i = 0; i < 10; i++) await n.notify(alert({ id: `scan-${i}` }));
      await n.notify(alert({ id: 'other-target', targets: ['10.0.0.77'] }));
      expect(r.got.map((g) => JSON.parse(g.body).alert.id)).toEqual(['scan-0', 'other-target']);
      t += 30_000;
      await n.tick();
      expect(r.got).toHaveLength(2);
      t += 30_000;
      await n.tick();
      expect(r.got).toHaveLength(3);
      const digest = NotificationV1.parse(JSON.parse(r.got[2].body));
      expect(digest).toMatchObject({ kind: 'digest', type: 'port_scan', target: '10.0.0.9', count: 9 });
      expect(r.got[2].valid).toBe(true);
      expect(n.stats).toMatchObject({ sent: 3, digestsSent: 1, held: 9, failed: 0 });
    } finally {
      await n.close();
      await close(r.server);
    }
  });

  it('retries a receiver answering 503 with backoff until it accepts', async () => {
    const r = await receiver([503, 503]);
    const n = new AlertNotifier(config({ webhook: { urls: [r.url], secret: SECRET } }));
    try {
      await n.notify(alert());
      expect(r.got).toHaveLength(3);
      expect(new Set(r.got.map((g) => g.body)).size).toBe(1); // the same signed body each time
      expect(n.stats).toMatchObject({ sent: 1, retries: 2, failed: 0 });
    } finally {
      await n.close();
      await close(r.server);
    }
  });

  it('does not retry a receiver that rejects the message (400)', async () => {
    const r = await receiver([400]);
    const n = new AlertNotifier(config({ webhook: { urls: [r.url], secret: SECRET } }));
    try {
      await n.notify(alert());
      expect(r.got).toHaveLength(1);
      expect(n.stats).toMatchObject({ sent: 0, failed: 1, retries: 0 });
    } finally {
      await n.close();
      await close(r.server);
    }
  });

  it('survives a receiver that is down: bounded retries with backoff, failure counted, nothing thrown', async () => {
    const down = await deadUrl();
    const live = await receiver();
    const failures: string[] = [];
    const n = new AlertNotifier(
      config({ retry: { maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 400, timeoutMs: 1000 }, webhook: { urls: [down, live.url], secret: SECRET } }),
      { onFailure: (channel, _m, reason) => failures.push(`${channel} ${reason}`) },
    );
    try {
      const t0 = Date.now();
      await expect(n.notify(alert())).resolves.toBeUndefined();
      const elapsed = Date.now() - t0;
      // three backoff sleeps: 50 + 100 + 200 ms, then give up (bounded, not forever)
      expect(elapsed).toBeGreaterThanOrEqual(350);
      expect(elapsed).toBeLessThan(10_000);
      expect(n.stats).toMatchObject({ sent: 1, failed: 1, retries: 3 });
      expect(n.failuresByChannel.get(`webhook:${down}`)).toBe(1);
      expect(failures[0]).toMatch(/ECONNREFUSED/);
      expect(live.got).toHaveLength(1); // the healthy destination still got it
    } finally {
      await n.close();
      await close(live.server);
    }
  });

  it('signs the timestamp with the body, so a captured request stops verifying after 5 minutes', async () => {
    const r = await receiver();
    const n = new AlertNotifier(config({ webhook: { urls: [r.url], secret: SECRET } }));
    try {
      const before = Math.floor(Date.now() / 1000);
      await n.notify(alert());
      const [g] = r.got;
      expect(g.valid).toBe(true);
      expect(g.timestamp).toMatch(/^\d+$/);
      const ts = Number(g.timestamp);
      expect(ts).toBeGreaterThanOrEqual(before);
      expect(g.signature).toBe(signBody(SECRET, ts, g.body));
      const at = (s: number) => ({ now: () => s * 1000 });
      // a replay: the same request later; within the tolerance (either way), then not
      expect(verifySignature(SECRET, g.body, g.signature, g.timestamp, at(ts + 300))).toBe(true);
      expect(verifySignature(SECRET, g.body, g.signature, g.timestamp, at(ts + 301))).toBe(false);
      expect(verifySignature(SECRET, g.body, g.signature, g.timestamp, at(ts - 301))).toBe(false);
      expect(verifySignature(SECRET, g.body, g.signature, g.timestamp, { ...at(ts + 3600), toleranceS: 7200 })).toBe(true);
      // a replay with a fresh timestamp header: the signature does not cover it
      expect(verifySignature(SECRET, g.body, g.signature, String(ts + 1), at(ts))).toBe(false);
      // no timestamp, a malformed one, or the old body-only signature
      expect(verifySignature(SECRET, g.body, g.signature, undefined, at(ts))).toBe(false);
      for (const bad of ['', ' 1', '1.5', '-1', '0x10', '1e9']) expect(verifySignature(SECRET, g.body, g.signature, bad, at(ts))).toBe(false);
      const bodyOnly = 'sha256=' + createHmac('sha256', SECRET).update(g.body).digest('hex');
      expect(verifySignature(SECRET, g.body, bodyOnly, g.timestamp, at(ts))).toBe(false);
    } finally {
      await n.close();
      await close(r.server);
    }
  });

  it.each([301, 302, 303, 307, 308])('treats a %i redirect as final, without following it', async (code) => {
    let followed = 0;
    const target = createServer((_req, res) => {
      followed++;
      res.end();
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    let hits = 0;
    const moved = createServer((req, res) => {
      hits++;
      req.resume();
      res.writeHead(code, { location: `http://127.0.0.1:${(target.address() as AddressInfo).port}/elsewhere` });
      res.end();
    });
    await new Promise<void>((resolve) => moved.listen(0, '127.0.0.1', resolve));
    const reasons: string[] = [];
    const n = new AlertNotifier(config({ webhook: { urls: [`http://127.0.0.1:${(moved.address() as AddressInfo).port}/hook`], secret: SECRET } }), {
      onFailure: (_c, _m, reason) => reasons.push(reason),
    });
    try {
      await n.notify(alert());
      expect(hits).toBe(1);
      expect(followed).toBe(0);
      expect(n.stats).toMatchObject({ sent: 0, failed: 1, retries: 0 });
      expect(reasons).toEqual([`HTTP ${code}: redirects are not followed`]);
    } finally {
      await n.close();
      await close(moved);
      await close(target);
    }
  });

  it('never prints the credentials of a URL given with user:password (refused at start-up)', async () => {
    const r = await receiver();
    const url = r.url.replace('http://', 'http://netsentry:hunter2@');
    const reasons: string[] = [];
    const n = new AlertNotifier(config(), { channels: [new WebhookChannel(url, SECRET, 1000)], onFailure: (c, _m, reason) => reasons.push(`${c} ${reason}`) });
    try {
      await n.notify(alert());
      expect(n.destinations[0]).toBe(`webhook:${r.url.replace('http://', 'http://***@')}`);
      expect(n.stats).toMatchObject({ failed: 1, retries: 0 }); // fetch refuses to build it: final
      expect(reasons).toHaveLength(1);
      expect(reasons[0]).not.toContain('hunter2');
      expect(reasons[0]).not.toContain('netsentry:');
      expect(r.got).toHaveLength(0);
    } finally {
      await n.close();
      await close(r.server);
    }
  });

  it.each([6000, 25])('does not retry a port fetch refuses (:%i, a "bad port"), and names the URL', async (port) => {
    // loadNotificationConfig refuses such a URL at start; a channel built directly still meets fetch's refusal
    const url = `http://127.0.0.1:${port}/hook`;
    const reasons: string[] = [];
    const n = new AlertNotifier(config(), { channels: [new WebhookChannel(url, SECRET, 1000)], onFailure: (c, _m, reason) => reasons.push(`${c} ${reason}`) });
    try {
      await n.notify(alert());
      expect(n.stats).toMatchObject({ sent: 0, failed: 1, retries: 0 });
      expect(reasons).toEqual([`webhook:${url} bad port: ${url} is on port ${port}, which fetch refuses to connect to (a blocked port of the Fetch standard); move the receiver to another port`]);
    } finally {
      await n.close();
    }
  });

  it('counts invalid alerts instead of throwing', async () => {
    const n = new AlertNotifier(config({ webhook: { urls: [await deadUrl()], secret: SECRET } }));
    await n.notify({ ...alert(), severity: 'urgent' } as never);
    expect(n.stats.invalid).toBe(1);
    await n.close();
  });
});
