import { isIPv4, isIPv6 } from 'node:net';
import { ipFromString, ipToString } from '@netsentry/packets';

/**
 * An IP address as the pipeline stores it, or null: IPv4 as a dotted quad (IPv4-mapped IPv6
 * too, since the sensor keeps IPv4 as ::ffff:a.b.c.d and prints it dotted), IPv6 as lower-case
 * RFC 5952 text. Alerts keep addresses as text, so a filter spelled any other way would match
 * nothing. The sensor writes that text with ipToString from libs/packets, so the same function
 * writes it here; node:net decides what is accepted (stricter than ipFromString on zone ids).
 */
export function normalizeIp(s: string): string | null {
  if (isIPv4(s)) return s; // node rejects leading zeros, so a valid dotted quad is already canonical
  // Zone ids (fe80::1%eth0) never reach storage; a filter with one cannot match.
  if (s.includes('%') || !isIPv6(s)) return null;
  const words = ipFromString(s);
  return words && ipToString(words);
}
