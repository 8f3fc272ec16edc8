/**
 * The lab scenario: a declarative description of hosts, benign activities and attacks.
 * Scenarios are YAML files (lab/scenarios/*.yaml); every field is documented in docs/lab.md.
 * Everything that runs is bounded in count and in time by the schema itself.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { AlertType } from '@netsentry/contracts';

const HostName = z.string().regex(/^[a-z][a-z0-9-]{0,19}$/, 'host names: lower-case letters, digits, dashes, at most 20 characters');
/** Seconds from the start of traffic. */
const Offset = z.number().finite().min(0).max(3600);
const Port = z.number().int().min(1).max(65535);

/** Optional window inside the scenario in which an activity's instances are spread. */
const Window = {
  /** First offset (seconds) an instance may start at; default 0. */
  from: Offset.optional(),
  /** Last offset (seconds) an instance may start at; default duration minus 5 s. */
  until: Offset.optional(),
};

export const HostSpec = z.strictObject({
  name: HostName,
  /** Host number inside the subnet (e.g. 10 for 10.66.0.10); default: 10 + position in the list. */
  hostNumber: z.number().int().min(1).max(254).optional(),
  /** Interface MTU (default 1500). Two hosts with 9000 talk in jumbo frames (a server segment). */
  mtu: z.number().int().min(576).max(9000).default(1500),
});

/**
 * A host entry with `count: N` is a group: it stands for hosts `<name>1` .. `<name>N` with
 * consecutive host numbers from `hostNumber` (required), and the group's name in any host list
 * (`clients`, `targets`, a DDoS's or spike's `from`) stands for all of them.
 */
const HostGroupSpec = z.strictObject({
  name: HostName,
  count: z.number().int().min(1).max(64),
  hostNumber: z.number().int().min(1).max(254),
  mtu: z.number().int().min(576).max(9000).optional(),
});

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Expands host groups (see HostGroupSpec) in a raw scenario value; anything malformed is left to the schema. */
export function expandHostGroups(raw: unknown): unknown {
  if (!isRecord(raw) || !Array.isArray(raw.hosts)) return raw;
  const groups = new Map<string, string[]>();
  const hosts: unknown[] = [];
  for (const h of raw.hosts) {
    if (isRecord(h) && 'count' in h) {
      const g = HostGroupSpec.safeParse(h);
      if (!g.success || g.data.hostNumber + g.data.count - 1 > 254) {
        hosts.push(h); // the host schema reports the problem
        continue;
      }
      const members = Array.from({ length: g.data.count }, (_, i) => `${g.data.name}${i + 1}`);
      groups.set(g.data.name, members);
      members.forEach((name, i) => hosts.push({ name, hostNumber: g.data.hostNumber + i, ...(g.data.mtu ? { mtu: g.data.mtu } : {}) }));
    } else hosts.push(h);
  }
  if (groups.size === 0) return raw;
  const expand = (list: unknown) => (Array.isArray(list) ? list.flatMap((x) => (typeof x === 'string' && groups.has(x) ? groups.get(x)! : [x])) : list);
  const mapItems = (items: unknown, keys: string[]) =>
    Array.isArray(items) ? items.map((it) => (isRecord(it) ? { ...it, ...Object.fromEntries(keys.filter((k) => k in it).map((k) => [k, expand(it[k])])) } : it)) : items;
  return { ...raw, hosts, benign: mapItems(raw.benign, ['clients', 'targets']), attacks: mapItems(raw.attacks, ['from']) };
}
export type HostSpec = z.infer<typeof HostSpec>;

export const HttpDownload = z.strictObject({
  kind: z.literal('http_download'),
  server: HostName,
  clients: z.array(HostName).min(1).max(64),
  /** Number of downloads over the whole window (each one `curl` run). */
  count: z.number().int().min(1).max(2000),
  /** Sizes are drawn log-uniformly between these (bytes). */
  sizeMin: z.number().int().min(1).max(50_000_000).default(1000),
  sizeMax: z.number().int().min(1).max(50_000_000).default(1_000_000),
  ...Window,
});
export const DnsLookup = z.strictObject({
  kind: z.literal('dns_lookup'),
  server: HostName,
  clients: z.array(HostName).min(1).max(64),
  count: z.number().int().min(1).max(2000),
  /** Names to look up, drawn at random; all resolve to lab addresses. */
  names: z.array(z.string().regex(/^[a-z0-9.-]{1,100}$/)).min(1).max(100).default(['www.lab.internal', 'mail.lab.internal', 'files.lab.internal', 'api.lab.internal']),
  ...Window,
});
export const Ping = z.strictObject({
  kind: z.literal('ping'),
  clients: z.array(HostName).min(1).max(64),
  targets: z.array(HostName).min(1).max(64),
  /** Number of ping runs. */
  count: z.number().int().min(1).max(500),
  /** Echo requests per run (one per second). */
  packets: z.number().int().min(1).max(20).default(3),
  ...Window,
});
export const TcpSession = z.strictObject({
  kind: z.literal('tcp_session'),
  server: HostName,
  clients: z.array(HostName).min(1).max(64),
  port: Port.default(7000),
  /** Number of long-lived sessions (one per client in turn), all opened near the start of the window. */
  sessions: z.number().int().min(1).max(50).default(1),
  /** Lines sent per session, one every `intervalSec` seconds (the server echoes them). */
  messages: z.number().int().min(1).max(1000).default(30),
  intervalSec: z.number().min(0.2).max(60).default(5),
  ...Window,
});
export const Upload = z.strictObject({
  kind: z.literal('upload'),
  server: HostName,
  clients: z.array(HostName).min(1).max(64),
  /** Number of uploads (HTTP POST with curl), spread evenly with jitter. */
  count: z.number().int().min(1).max(1000),
  sizeMin: z.number().int().min(1).max(5_000_000).default(500),
  sizeMax: z.number().int().min(1).max(5_000_000).default(20_000),
  ...Window,
});
export const BenignActivity = z.discriminatedUnion('kind', [HttpDownload, DnsLookup, Ping, TcpSession, Upload]);
export type BenignActivity = z.infer<typeof BenignActivity>;

const AttackBase = {
  /** Unique id of the attack inside the scenario (copied to truth.json). */
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/),
  /** Start offset in seconds. */
  at: Offset,
  /** Hard time limit for the attack's processes (seconds). */
  maxSeconds: z.number().min(1).max(600).default(60),
};
/** Flood rate: one packet every `intervalUs` microseconds, `count` packets (so bounded in both). */
const Flood = {
  count: z.number().int().min(1).max(100_000),
  intervalUs: z.number().int().min(100).max(1_000_000).default(1000),
};

export const PortScanAttack = z.strictObject({
  kind: z.literal('port_scan'),
  ...AttackBase,
  from: HostName,
  to: HostName,
  /** nmap port list, e.g. `1-1000` or `22,80,443`. */
  ports: z.string().regex(/^[0-9,-]{1,100}$/).default('1-1000'),
  /** nmap timing template -T0..-T5. */
  timing: z.number().int().min(0).max(5).default(4),
  /** nmap --scan-delay in milliseconds (slow, stealthy scans). */
  scanDelayMs: z.number().int().min(0).max(10_000).optional(),
});
export const HostSweepAttack = z.strictObject({
  kind: z.literal('host_sweep'),
  ...AttackBase,
  from: HostName,
  /** Host numbers swept inside the subnet, inclusive. Absent addresses are pinned to a dead MAC in
   * the attacker's namespace so that the probes reach the wire, as they would through a router. */
  firstHost: z.number().int().min(1).max(254),
  lastHost: z.number().int().min(1).max(254),
  timing: z.number().int().min(0).max(5).default(4),
});
export const SynFloodAttack = z.strictObject({ kind: z.literal('syn_flood'), ...AttackBase, from: HostName, to: HostName, port: Port.default(80), ...Flood });
export const UdpFloodAttack = z.strictObject({
  kind: z.literal('udp_flood'),
  ...AttackBase,
  from: HostName,
  to: HostName,
  port: Port.default(53),
  dataBytes: z.number().int().min(0).max(1400).default(64),
  ...Flood,
});
export const IcmpFloodAttack = z.strictObject({
  kind: z.literal('icmp_flood'),
  ...AttackBase,
  from: HostName,
  to: HostName,
  dataBytes: z.number().int().min(0).max(1400).default(56),
  ...Flood,
});
export const DdosAttack = z.strictObject({
  kind: z.literal('ddos'),
  ...AttackBase,
  /** Three or more attacker hosts, all flooding `to` at once. */
  from: z.array(HostName).min(3).max(64),
  to: HostName,
  method: z.enum(['syn', 'udp', 'icmp']).default('syn'),
  port: Port.default(80),
  /** Packets per attacker. */
  count: z.number().int().min(1).max(50_000),
  intervalUs: z.number().int().min(100).max(1_000_000).default(1000),
});
export const ExfiltrationAttack = z.strictObject({
  kind: z.literal('exfiltration'),
  ...AttackBase,
  /** The internal host that uploads. */
  from: HostName,
  /** The receiver, listening with socat on an unusual port. */
  to: HostName,
  port: Port.default(4444),
  bytes: z.number().int().min(1000).max(200_000_000),
  /** Upload rate limit (curl --limit-rate), bytes per second; 0 = unlimited. */
  rateBytesPerSec: z.number().int().min(0).max(1_000_000_000).default(0),
});
export const TrafficSpikeAttack = z.strictObject({
  kind: z.literal('traffic_spike'),
  ...AttackBase,
  /** Many clients at once. */
  from: z.array(HostName).min(1).max(64),
  /** An HTTP server host. */
  to: HostName,
  /** Requests per client, `parallel` at a time. */
  requestsPerClient: z.number().int().min(1).max(500),
  parallel: z.number().int().min(1).max(32).default(8),
  sizeBytes: z.number().int().min(1).max(5_000_000).default(20_000),
});
export const Attack = z.discriminatedUnion('kind', [
  PortScanAttack,
  HostSweepAttack,
  SynFloodAttack,
  UdpFloodAttack,
  IcmpFloodAttack,
  DdosAttack,
  ExfiltrationAttack,
  TrafficSpikeAttack,
]);
export type Attack = z.infer<typeof Attack>;
export type AttackKind = Attack['kind'];

/** The alert type (libs/contracts ALERT_TYPES) each attack kind is labelled with. */
export const ATTACK_ALERT_TYPE: Record<AttackKind, AlertType> = {
  port_scan: 'port_scan',
  host_sweep: 'host_sweep',
  syn_flood: 'syn_flood',
  udp_flood: 'udp_flood',
  icmp_flood: 'icmp_flood',
  ddos: 'ddos',
  exfiltration: 'large_transfer',
  traffic_spike: 'traffic_spike',
};

const ScenarioObject = z.strictObject({
    /** Scenario name; also the default output file stem. */
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/),
    description: z.string().max(2000).optional(),
    /** Seed of every random choice (order, offsets, sizes, clients). */
    seed: z.number().int().min(0).max(2 ** 31 - 1),
    /** Seconds of traffic; every activity and attack is stopped by then. */
    duration: z.number().min(5).max(1800),
    /** The private /24 that exists only inside the lab namespaces (first three octets). */
    subnet: z.string().regex(/^10\.(\d{1,3})\.(\d{1,3})\.0\/24$/).default('10.66.0.0/24'),
    capture: z
      .strictObject({
        /** tcpdump snap length: headers only by default, which keeps the captures small. */
        snaplen: z.number().int().min(64).max(65535).default(128),
      })
      .default({ snaplen: 128 }),
    hosts: z.array(HostSpec).min(2).max(100),
    benign: z.array(BenignActivity).max(50).default([]),
    attacks: z.array(Attack).max(50).default([]),
  });
export const ScenarioSchema = ScenarioObject.superRefine((s, ctx) => checkScenario(s, ctx));
export type Scenario = z.infer<typeof ScenarioSchema>;

/**
 * Seconds between one source's attacks (end of the first's time limit to the second's start).
 * The truth search window of an attack reaches from 1 s before its start to 3 s after its
 * processes ended (at most 1 s after their limit), so 5 s keeps two windows of one source apart.
 */
export const MIN_GAP_S = 5;

/** Hosts that an attack sends from. */
export function attackSources(a: Attack): string[] {
  return Array.isArray(a.from) ? a.from : [a.from];
}

/** Host names an attack sends to (a sweep's targets are addresses, not hosts). */
export function attackTargetHosts(a: Attack): string[] {
  return a.kind === 'host_sweep' ? [] : [a.to];
}

function checkScenario(s: z.infer<typeof ScenarioObject>, ctx: z.RefinementCtx): void {
  const names = new Set<string>();
  const numbers = new Set<number>();
  (s.hosts as HostSpec[]).forEach((h, i) => {
    if (names.has(h.name)) ctx.addIssue({ code: 'custom', path: ['hosts', i, 'name'], message: `duplicate host ${h.name}` });
    names.add(h.name);
    const n = h.hostNumber ?? 10 + i;
    if (numbers.has(n)) ctx.addIssue({ code: 'custom', path: ['hosts', i, 'hostNumber'], message: `duplicate host number ${n}` });
    numbers.add(n);
  });
  const known = (path: (string | number)[], n: string) => {
    if (!names.has(n)) ctx.addIssue({ code: 'custom', path, message: `unknown host ${n}` });
  };
  const benignActors = new Set<string>();
  (s.benign as BenignActivity[]).forEach((b, i) => {
    const hosts: string[] = [];
    if ('server' in b) hosts.push(b.server);
    hosts.push(...b.clients);
    if (b.kind === 'ping') hosts.push(...b.targets);
    for (const h of hosts) {
      known(['benign', i], h);
      benignActors.add(h);
    }
    if ('sizeMin' in b && b.sizeMin > b.sizeMax) ctx.addIssue({ code: 'custom', path: ['benign', i, 'sizeMin'], message: 'sizeMin > sizeMax' });
    const until = b.until ?? s.duration - 5;
    if ((b.from ?? 0) > until || until > s.duration) ctx.addIssue({ code: 'custom', path: ['benign', i], message: 'window outside the scenario duration' });
    if ('clients' in b && 'server' in b && b.clients.includes(b.server)) ctx.addIssue({ code: 'custom', path: ['benign', i], message: 'a host cannot be its own server' });
  });
  const ids = new Set<string>();
  const windows: Array<{ src: string; start: number; end: number; id: string }> = [];
  (s.attacks as Attack[]).forEach((a, i) => {
    if (ids.has(a.id)) ctx.addIssue({ code: 'custom', path: ['attacks', i, 'id'], message: `duplicate attack id ${a.id}` });
    ids.add(a.id);
    const srcs = attackSources(a);
    for (const h of srcs) {
      known(['attacks', i, 'from'], h);
      // Attack sources send nothing else, so every packet they send belongs to an attack: that is
      // what makes the labels exact. Servers that are attacked may serve benign clients too.
      if (benignActors.has(h)) ctx.addIssue({ code: 'custom', path: ['attacks', i, 'from'], message: `${h} takes part in benign activities; attack sources must be dedicated hosts` });
    }
    if (new Set(srcs).size !== srcs.length) ctx.addIssue({ code: 'custom', path: ['attacks', i, 'from'], message: 'duplicate source' });
    for (const h of attackTargetHosts(a)) {
      known(['attacks', i, 'to'], h);
      if (srcs.includes(h)) ctx.addIssue({ code: 'custom', path: ['attacks', i, 'to'], message: 'a host cannot attack itself' });
    }
    if (a.kind === 'host_sweep' && a.firstHost > a.lastHost) ctx.addIssue({ code: 'custom', path: ['attacks', i], message: 'firstHost > lastHost' });
    if (a.kind === 'traffic_spike' && new Set(a.from).size < a.from.length) ctx.addIssue({ code: 'custom', path: ['attacks', i, 'from'], message: 'duplicate client' });
    // The hard limit, not the planned length, bounds where the attack's packets can be.
    const end = a.at + a.maxSeconds;
    if (end > s.duration) ctx.addIssue({ code: 'custom', path: ['attacks', i, 'at'], message: `attack may run until ${end}s (at + maxSeconds), past the duration ${s.duration}s` });
    // One source, one attack at a time: the truth windows are measured per source.
    for (const src of srcs) {
      for (const w of windows) {
        if (w.src === src && a.at < w.end + MIN_GAP_S && w.start < end + MIN_GAP_S)
          ctx.addIssue({ code: 'custom', path: ['attacks', i, 'at'], message: `${src} is already attacking in ${w.id} then (keep ${MIN_GAP_S} s apart)` });
      }
      windows.push({ src, start: a.at, end, id: a.id });
    }
  });
}

/** Stable error codes of scenario loading. */
export type ScenarioError =
  | { code: 'SCENARIO.READ'; message: string }
  | { code: 'SCENARIO.YAML'; message: string }
  | { code: 'SCENARIO.INVALID'; message: string; issues: Array<{ path: string; message: string }> };

export type ScenarioResult = { ok: true; scenario: Scenario } | { ok: false; error: ScenarioError };

/** Validates an already-parsed scenario value. */
export function parseScenario(raw: unknown): ScenarioResult {
  const r = ScenarioSchema.safeParse(expandHostGroups(raw));
  if (r.success) return { ok: true, scenario: r.data };
  const issues = r.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  return {
    ok: false,
    error: { code: 'SCENARIO.INVALID', message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues },
  };
}

/** Parses scenario YAML text. */
export function parseScenarioYaml(text: string): ScenarioResult {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    return { ok: false, error: { code: 'SCENARIO.YAML', message: (e as Error).message } };
  }
  return parseScenario(raw);
}

/** Reads and validates a scenario file. */
export function loadScenario(path: string): ScenarioResult & { text?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { ok: false, error: { code: 'SCENARIO.READ', message: (e as Error).message } };
  }
  return { ...parseScenarioYaml(text), text };
}

/** The subnet's first three octets, e.g. `10.66.0`. */
export function subnetPrefix(s: Scenario): string {
  return s.subnet.slice(0, s.subnet.lastIndexOf('.'));
}

/** The address of every host, by name. */
export function hostAddresses(s: Scenario): Map<string, string> {
  const p = subnetPrefix(s);
  return new Map(s.hosts.map((h, i) => [h.name, `${p}.${h.hostNumber ?? 10 + i}`]));
}
