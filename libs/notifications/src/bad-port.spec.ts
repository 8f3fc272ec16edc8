import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { FETCH_BAD_PORTS, fetchBadPort } from './bad-port';

/** Why this runtime's fetch rejects a POST to `url` ('bad port', 'ECONNREFUSED'...), or 'answered'. */
async function fetchRefusal(url: string): Promise<string> {
  try {
    await fetch(url, { method: 'POST', body: '{}', signal: AbortSignal.timeout(2000) });
    return 'answered';
  } catch (e) {
    const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? (e as Error).message;
  }
}

describe('ports fetch refuses', () => {
  it('matches the running fetch: each listed port is refused before any connection is made', async () => {
    // 127.0.0.1 on purpose: fetch checks the port first, so nothing is ever sent to these services
    for (const port of FETCH_BAD_PORTS) expect([port, await fetchRefusal(`http://127.0.0.1:${port}/hook`)]).toEqual([port, 'bad port']);
  });

  it('lets other ports through to the network (a port with nothing listening is refused by the OS, not by fetch)', async () => {
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const { port } = s.address() as AddressInfo;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    expect(FETCH_BAD_PORTS.has(port)).toBe(false); // ephemeral ports are far above the list
    expect(await fetchRefusal(`http://127.0.0.1:${port}/hook`)).toBe('ECONNREFUSED');
  });

  it.each([
    ['http://127.0.0.1:6000/hook', 6000],
    ['https://hooks.example.org:25/a', 25],
    ['http://[::1]:10080/', 10080],
    ['https://hooks.example.org/a', null], // 443 implied
    ['http://hooks.example.org:80/a', null], // the scheme's default: URL drops it
    ['https://hooks.example.org:8443/a', null],
    ['ftp://hooks.example.org:25/', null],
    ['not a url', null],
  ])('fetchBadPort(%s) = %s', (url, port) => {
    expect(fetchBadPort(url)).toBe(port);
  });
});
