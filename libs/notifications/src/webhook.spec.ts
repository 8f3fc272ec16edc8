import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlertNotifier } from './notifier';
import { NotificationV1 } from './message';
import { SIGNATURE_HEADER, verifySignature } from './webhook.channel';
import { alert, config } from './notifications.fixtures';

const SECRET = 'test-secret-0123456789';

interface Received {
  body: string;
  signature: string | undefined;
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
      got.push({ body, signature, valid: verifySignature(SECRET, body, signature) });
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
      expect(verifySignature('another-secret-123456', r.got[0].body, r.got[0].signature)).toBe(false);
      expect(verifySignature(SECRET, r.got[0].body + ' ', r.got[0].signature)).toBe(false);
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

  it('counts invalid alerts instead of throwing', async () => {
    const n = new AlertNotifier(config({ webhook: { urls: [await deadUrl()], secret: SECRET } }));
    await n.notify({ ...alert(), severity: 'urgent' } as never);
    expect(n.stats.invalid).toBe(1);
    await n.close();
  });
});
