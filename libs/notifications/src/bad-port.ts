import { redactCredentials } from './redact';

/**
 * Ports that fetch refuses to connect to: the "bad ports" of the Fetch standard
 * (https://fetch.spec.whatwg.org/#port-blocking), services that a browser's request could be
 * abused against (SMTP, IRC, X11...). Node's built-in fetch (undici) checks them before any
 * connection and rejects with `TypeError: fetch failed`, cause `Error: bad port`; nothing opens
 * the port again, so a webhook on one can never be delivered. This copy is undici 6.24's list
 * (Node.js 20.20); bad-port.spec.ts checks each against the running fetch. Only an explicit port
 * counts: `https://h/` is 443, never blocked.
 */
export const FETCH_BAD_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115,
  117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587,
  601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679,
  6697, 10080,
]);

/** The port of an http(s) URL that fetch refuses, or null (another port, another scheme, not a URL). */
export function fetchBadPort(url: string): number | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.port === '') return null;
  const port = Number(u.port);
  return FETCH_BAD_PORTS.has(port) ? port : null;
}

/** Why a URL on such a port cannot be used (credentials masked), for start-up errors and failure reasons. */
export function badPortMessage(url: string, port: number | string): string {
  return `${redactCredentials(url)} is on port ${port}, which fetch refuses to connect to (a blocked port of the Fetch standard); move the receiver to another port`;
}
