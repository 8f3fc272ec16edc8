import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AlertV1 } from '@netsentry/contracts';
import { NotificationV1 } from './message';
import { AlertNotifier } from './notifier';
import { OVERFLOW_TARGET } from './rate-limiter';
import { alert, config } from './notifications.fixtures';

const SECRET = 'test-secret-0123456789';

/** Alerts of distinct targets: none is held by the rate limit, each is its own delivery. */
const burst = (n: number): AlertV1[] => Array.from({ length: n }, (_, i) => alert({ id: `a-${i}`, targets: [`10.1.${i >> 8}.${i & 255}`] }));

/**
 * A local receiver that answers after `delayMs`; `serial` answers one request at a time (a
 * receiver with one worker), so a request waits for those before it. Records the most requests
 * it had open at once.
 */
async function receiver(delayMs: number, serial = false): Promise<{ server: Server; url: string; bodies: NotificationV1[]; maxOpen: () => number }> {
  const bodies: NotificationV1[] = [];
  let open = 0;
  let maxOpen = 0;
  let queue: Promise<void> = Promise.resolve();
  const server = createServer((req, res) => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (): Promise<void> =>
        new Promise((resolve) =>
          setTimeout(() => {
            open--;
            bodies.push(NotificationV1.parse(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
            res.statusCode = 204;
            res.end();
            resolve();
          }, delayMs),
        );
      if (serial) queue = queue.then(answer);
      else void answer();
    });
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, maxOpen: () => maxOpen };
}

const close = (s: Server): Promise<void> => {
  s.closeAllConnections();
  return new Promise((resolve) => s.close(() => resolve()));
};

const idsOf = (bodies: NotificationV1[]): string[] => bodies.flatMap((b) => (b.kind === 'alert' ? [b.alert.id] : b.alerts.map((a) => a.id)));

describe('a burst of alerts to one destination', () => {
  it('keeps at most `concurrency` deliveries open at the receiver and delivers them all', async () => {
    const r = await receiver(10);
    const n = new AlertNotifier(config({ delivery: { concurrency: 3, queueSize: 100 }, webhook: { urls: [r.url], secret: SECRET } }));
    try {
      await Promise.all(burst(60).map((a) => n.notify(a)));
      expect(r.maxOpen()).toBeLessThanOrEqual(3);
      expect(r.bodies).toHaveLength(60);
      expect(n.stats).toMatchObject({ sent: 60, failed: 0, overflowed: 0 });
    } finally {
      await n.close();
      await close(r.server);
    }
  });

  it('starts the attempt timeout when the attempt starts, not while it waits in the queue', async () => {
    // one worker, 100 ms a request: the 8th is answered 800 ms after the burst, each attempt
    // takes 100 ms; a 400 ms timeout counted from the burst would fail half of them
    const r = await receiver(100, true);
    const n = new AlertNotifier(
      config({ retry: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 10, timeoutMs: 400 }, delivery: { concurrency: 1, queueSize: 100 }, webhook: { urls: [r.url], secret: SECRET } }),
    );
    try {
      await Promise.all(burst(8).map((a) => n.notify(a)));
      expect(n.stats).toMatchObject({ sent: 8, failed: 0 });
    } finally {
      await n.close();
      await close(r.server);
    }
  });

  it('folds what the full queue cannot take into one digest per rule type: counted, delayed, not lost', async () => {
    const r = await receiver(30);
    let t = 1_000_000;
    const n = new AlertNotifier(config({ intervalSeconds: 60, delivery: { concurrency: 1, queueSize: 2 }, webhook: { urls: [r.url], secret: SECRET } }), {
      now: () => t,
    });
    try {
      const alerts = burst(10);
      const done = alerts.map((a) => n.notify(a));
      expect(n.pending).toEqual([{ running: 1, queued: 2 }]); // bounded whatever the burst
      await Promise.all(done);
      expect(n.stats).toMatchObject({ sent: 3, overflowed: 7, failed: 0 });
      expect(r.bodies.map((b) => b.kind)).toEqual(['alert', 'alert', 'alert']);
      // the overflow digest waits for the rate-limit interval like any digest
      await n.tick();
      expect(r.bodies).toHaveLength(3);
      t += 60_000;
      await n.tick();
      expect(r.bodies).toHaveLength(4);
      expect(r.bodies[3]).toMatchObject({ kind: 'digest', type: 'port_scan', target: OVERFLOW_TARGET, count: 7 });
      expect(idsOf(r.bodies).sort()).toEqual(alerts.map((a) => a.id).sort());
    } finally {
      await n.close();
      await close(r.server);
    }
  });

  it('folds a digest that finds the queue full back into the overflow digest, and sends it all at shutdown', async () => {
    const r = await receiver(30);
    let t = 0;
    const n = new AlertNotifier(config({ intervalSeconds: 10, delivery: { concurrency: 1, queueSize: 0 }, webhook: { urls: [r.url], secret: SECRET } }), {
      now: () => t,
    });
    try {
      // two held alerts per target, three targets: three digests due at once, room for one
      const alerts = [0, 1, 2].flatMap((k) => [0, 1, 2].map((j) => alert({ id: `k${k}-${j}`, targets: [`10.2.0.${k}`] })));
      for (const a of alerts) await n.notify(a);
      expect(n.stats).toMatchObject({ sent: 3, held: 6 });
      t = 10_000;
      await n.tick();
      expect(n.stats).toMatchObject({ sent: 4, digestsSent: 1, overflowed: 2 });
      await n.close(); // shutdown: no later digest to fold into, everything goes out
      expect(idsOf(r.bodies).sort()).toEqual(alerts.map((a) => a.id).sort());
      const overflow = r.bodies.find((b) => b.kind === 'digest' && b.target === OVERFLOW_TARGET);
      expect(overflow).toMatchObject({ count: 4 });
    } finally {
      await n.close();
      await close(r.server);
    }
  });
});
