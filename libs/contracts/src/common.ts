import { z } from 'zod';

/**
 * True when `s` holds no NUL (U+0000). PostgreSQL text and jsonb cannot store one ("invalid byte
 * sequence for encoding UTF8: 0x00"), so a record carrying one would be refused at every write
 * and its batch redelivered forever: contracts refuse it at the edge instead.
 */
export function isStorableText(s: string): boolean {
  return s.indexOf('\u0000') < 0;
}

/** Every text field of every contract starts from this: a string without NUL (chain `.min`, `.max`, `.regex` on it). */
export const StorableText = z.string().refine(isStorableText, { message: 'contains a NUL character (U+0000)' });

/** An IPv4 or IPv6 address in its canonical text form. */
export const IpAddress = z.union([z.ipv4(), z.ipv6()]);
export type IpAddress = z.infer<typeof IpAddress>;

/** Epoch seconds with microsecond precision, taken from packet timestamps (never the wall clock). */
export const EpochSeconds = z.number().finite().nonnegative();

/** A sensor identifier: configured, or the host name of the machine running the sensor. */
export const SensorId = StorableText.min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/);

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
/** How urgent a finding is, most urgent first. */
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

/** Rank of a severity: higher is more urgent (low=1 .. critical=4). */
export function severityRank(s: Severity): number {
  return 4 - SEVERITIES.indexOf(s);
}

export const ALERT_TYPES = [
  'port_scan',
  'host_sweep',
  'syn_flood',
  'udp_flood',
  'icmp_flood',
  'ddos',
  'traffic_spike',
  'large_transfer',
] as const;
/** The attack vocabulary shared by rules, the lab's truth files and the console. */
export const AlertType = z.enum(ALERT_TYPES);
export type AlertType = z.infer<typeof AlertType>;

/** IANA protocol numbers we name; others are carried as numbers. */
export const Protocol = z.number().int().min(0).max(255);
