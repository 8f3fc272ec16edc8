import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { AlertNotifier } from './notifier';
import type { EmailConfig } from './config';
import { alert, config, within } from './notifications.fixtures';

/** What the trickling server saw. */
interface Seen {
  connections: number;
  /** Messages whose final 250 reply was written in full. */
  accepted: number;
  /** One promise per connection, settled when the socket is closed (the server never closes first). */
  closed: Promise<void>[];
}

/**
 * A raw SMTP server on 127.0.0.1 that speaks just enough of the protocol to take a message (no
 * STARTTLS, no AUTH). The greeting is written at once (nodemailer's greetingTimeout already caps
 * a slow one); on a slow connection every later reply is written one byte every `byteMs`, padded
 * to 100 bytes: never silent long enough for a socket timeout, yet 20 s per reply. It closes a
 * connection only after QUIT, so any other close is the client's.
 */
async function trickler(byteMs: number, isSlow: (connection: number) => boolean): Promise<{ server: Server; port: number; seen: Seen; stop: () => Promise<void> }> {
  const seen: Seen = { connections: 0, accepted: 0, closed: [] };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const slow = isSlow(++seen.connections);
    sockets.add(socket);
    let gone = false;
    let timer: NodeJS.Timeout | undefined;
    seen.closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
    socket.once('close', () => {
      gone = true;
      clearTimeout(timer);
      sockets.delete(socket);
    });
    socket.on('error', () => undefined);
    const write = (text: string): Promise<void> =>
      new Promise((resolve) => {
        if (!slow) {
          if (!gone) socket.write(text);
          return resolve();
        }
        let i = 0;
        const step = (): void => {
          if (gone || i >= text.length) return resolve();
          socket.write(text[i++]);
          timer = setTimeout(step, byteMs);
        };
        step();
      });
    // replies go out in order, each after the previous one is written in full
    let out = Promise.resolve();
    const reply = (line: string, then?: () => void): void => {
      const text = slow ? `${line} ${'.'.repeat(Math.max(0, 96 - line.length))}\r\n` : `${line}\r\n`;
      out = out.then(() => write(text)).then(() => (gone ? undefined : then?.()));
    };
    socket.write('220 trickle ESMTP\r\n');
    let buf = '';
    let inData = false;
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString('latin1');
      for (let guard = 0; guard < 1000; guard++) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          if (end < 0) return;
          buf = buf.slice(end + 5);
          inData = false;
          reply('250 queued', () => seen.accepted++);
          continue;
        }
        const eol = buf.indexOf('\r\n');
        if (eol < 0) return;
        const verb = buf.slice(0, 4).toUpperCase();
        buf = buf.slice(eol + 2);
        if (verb === 'DATA') {
          inData = true;
          // the terminator search starts after a CRLF: keep one in front of the message
          buf = '\r\n' + buf;
          reply('354 go on');
        } else if (verb === 'QUIT') reply('221 bye', () => socket.end());
        else reply('250 ok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stop = (): Promise<void> => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return { server, port: (server.address() as AddressInfo).port, seen, stop };
}

const email = (port: number, deadlineMs: number): EmailConfig => ({
  host: '127.0.0.1',
  port,
  security: 'none',
  from: 'netsentry@lab.test',
  to: ['soc@lab.test'],
  verifyTls: true,
  deadlineMs,
});

describe('e-mail to an SMTP server that trickles its replies', () => {
  it('abandons each attempt at the deadline, drops its connection, retries, then counts the failure and frees the slot', async () => {
    const s = await trickler(200, () => true);
    const reasons: string[] = [];
    // one slot: the second alert waits for the first; neither may hold it for longer than its attempts
    const n = new AlertNotifier(
      config({ retry: { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 20, timeoutMs: 2000 }, delivery: { concurrency: 1, queueSize: 10 }, email: email(s.port, 600) }),
      { onFailure: (_c, _m, reason) => reasons.push(reason) },
    );
    try {
      const done = Promise.all([n.notify(alert({ id: 'one' })), n.notify(alert({ id: 'two', targets: ['10.0.0.10'] }))]);
      // 2 alerts × 2 attempts × 0.6 s; the old code would take 20 s per reply
      expect(await within(done, 8000)).not.toBe('still running');
      expect(n.stats).toMatchObject({ sent: 0, failed: 2, retries: 2 });
      expect(n.pending).toEqual([{ running: 0, queued: 0 }]);
      expect(reasons).toHaveLength(2);
      for (const r of reasons) expect(r).toMatch(/^ETIMEDOUT: .*600 ms.*NETSENTRY_SMTP_DEADLINE_MS/);
      // one connection per attempt, each closed by the client (this server never closes first)
      expect(s.seen.connections).toBe(4);
      expect(await within(Promise.all(s.seen.closed), 5000)).not.toBe('still running');
      expect(s.seen.accepted).toBe(0);
    } finally {
      await s.stop();
      await n.close();
    }
  }, 30_000);

  it('delivers on the retry once the server answers in time, exactly once', async () => {
    const s = await trickler(200, (connection) => connection === 1);
    const n = new AlertNotifier(config({ retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 20, timeoutMs: 2000 }, email: email(s.port, 600) }));
    try {
      expect(await within(n.notify(alert()), 8000)).not.toBe('still running');
      expect(n.stats).toMatchObject({ sent: 1, failed: 0, retries: 1 });
      expect(s.seen.accepted).toBe(1);
      expect(await within(s.seen.closed[0], 5000)).not.toBe('still running'); // the slow one, dropped
    } finally {
      await s.stop();
      await n.close();
    }
  }, 30_000);
});
