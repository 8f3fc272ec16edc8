import { z } from 'zod';
import { Severity } from '@netsentry/contracts';
import { parseCidr } from './cidr';

/*
 * Rule configuration: which rules run and their thresholds. Every default is documented here,
 * in config/rules.yaml and in libs/detection/RULES.md (keep the three in step). Validated once
 * at start; unknown keys are errors, so a misspelt threshold is not silently ignored.
 */

const AddressBlock = z.string().refine((s) => parseCidr(s) !== null, { message: 'expected an IP address or CIDR block' });
const Seconds = z.number().positive().max(86_400);
const Ratio = z.number().min(0).max(1);
const Alpha = z.number().gt(0).max(1);

/** Settings every rule has. */
const common = (severity: z.infer<typeof Severity>) => ({
  /** Run this rule (default true). */
  enabled: z.boolean().default(true),
  /** Severity of its alerts. */
  severity: Severity.default(severity),
  /** Sources never reported by this rule (scanners you run yourself, monitoring hosts). */
  allowSources: z.array(AddressBlock).default([]),
  /** Targets never reported by this rule (busy servers, multicast groups you expect). */
  allowTargets: z.array(AddressBlock).default([]),
});

export const PortScanConfig = z.strictObject({
  ...common('medium'),
  /** Sliding window, seconds (default 60). */
  windowS: Seconds.default(60),
  /** Distinct destination ports probed on one host within the window (default 20). */
  minPorts: z.number().int().min(2).default(20),
  /** Fire only while at most this share of the probed ports answered (default 0.5: "mostly failed/unanswered"). */
  maxAnsweredRatio: Ratio.default(0.5),
  /** Severity becomes `high` from this many distinct ports (default 1000). */
  highAtPorts: z.number().int().min(2).default(1000),
});

export const HostSweepConfig = z.strictObject({
  ...common('medium'),
  windowS: Seconds.default(60),
  /** Distinct hosts probed on one service (TCP/UDP port, ICMP echo) or by ARP within the window (default 20). */
  minHosts: z.number().int().min(2).default(20),
  /** TCP/UDP sweeps fire only while at most this share of the hosts answered (default 0.5). */
  maxAnsweredRatio: Ratio.default(0.5),
  /** Count ARP requests on the local segment (default true). */
  arp: z.boolean().default(true),
  /** Count ICMP/ICMPv6 echo requests (default true). */
  icmpEcho: z.boolean().default(true),
  /** Severity becomes `high` from this many distinct hosts (default 1000). */
  highAtHosts: z.number().int().min(2).default(1000),
});

export const SynFloodConfig = z.strictObject({
  ...common('high'),
  windowS: Seconds.default(10),
  /** SYNs without a completed handshake to one destination within the window (default 100). */
  minSyns: z.number().int().min(1).default(100),
  /**
   * A flood hammers ports: fire when SYNs per distinct destination port reach this (default 5),
   * or when the SYNs come from `minSources` or more sources. One source spreading single SYNs over
   * many ports is a port scan, not a flood.
   */
  minSynsPerPort: z.number().min(1).default(5),
  minSources: z.number().int().min(2).default(20),
});

const floodCommon = {
  windowS: Seconds.default(5),
  /** Packets per second to one destination, averaged over the window (default 100). */
  minPps: z.number().positive().default(100),
  /** ... and at least this many times the destination's moving baseline (default 10). */
  baselineFactor: z.number().min(1).default(10),
  /** Weight of each interval in the moving baseline (EWMA; default 0.02, about 50 s of memory). */
  baselineAlpha: Alpha.default(0.02),
};

export const UdpFloodConfig = z.strictObject({
  ...common('high'),
  ...floodCommon,
  /** As for SYN floods: packets per distinct destination port (default 5), or many sources (default 20). */
  minPacketsPerPort: z.number().min(1).default(5),
  minSources: z.number().int().min(2).default(20),
});

export const IcmpFloodConfig = z.strictObject({
  ...common('medium'),
  ...floodCommon,
});

export const DdosConfig = z.strictObject({
  ...common('critical'),
  windowS: Seconds.default(10),
  /** Distinct sources sending to the destination within the window (default 20). */
  minSources: z.number().int().min(2).default(20),
  /** Packets per second to it over the window (default 100) ... */
  minPps: z.number().positive().default(100),
  /** ... and this many times its baseline (default 10). */
  baselineFactor: z.number().min(1).default(10),
  baselineAlpha: Alpha.default(0.02),
  /** Or: at least this many sources (default 3) ... */
  minAttackSources: z.number().int().min(2).default(3),
  /** ... each sending attack-like packets (SYNs, unanswered UDP/ICMP) at this rate or more (default 50/s). */
  minSourcePps: z.number().positive().default(50),
});

export const TrafficSpikeConfig = z.strictObject({
  ...common('low'),
  windowS: Seconds.default(10),
  /** Total packets per second on the sensor over the window (default 1000) ... */
  minPps: z.number().positive().default(1000),
  /** ... and at least this many times the moving baseline (default 5). */
  factor: z.number().min(1).default(5),
  baselineAlpha: Alpha.default(0.01),
  /** Seconds of history needed before the baseline is trusted (default 30). */
  warmupS: Seconds.default(30),
});

export const LargeTransferConfig = z.strictObject({
  ...common('medium'),
  /** Severity when the source is inside `homeNet` and the destination outside (default high). */
  severityLeavingHome: Severity.default('high'),
  windowS: Seconds.default(60),
  /** Bytes from one host to one destination within the window (default 50 MB) ... */
  minBytes: z.number().positive().default(50_000_000),
  /** ... or at least `baselineMinBytes` (default 10 MB) and `baselineFactor` (default 10) times what the source sent in the previous window. */
  baselineMinBytes: z.number().positive().default(10_000_000),
  baselineFactor: z.number().min(1).default(10),
  /** Seconds of the sensor's traffic seen before the baseline path is trusted (default 60: a whole previous window). */
  warmupS: Seconds.default(60),
});

export const DEFAULT_HOME_NET = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', 'fe80::/10'];

export const RulesConfig = z.strictObject({
  /** Seconds a statistics partial may arrive after its interval ended and still be merged (default 2). */
  latenessS: z.number().min(0).max(300).default(2),
  /** The protected network, like Suricata's HOME_NET (default: the private ranges). */
  homeNet: z.array(AddressBlock).default(DEFAULT_HOME_NET),
  alerts: z
    .strictObject({
      /** An alert closes after this many seconds without a new finding (default 60). */
      quietS: Seconds.default(60),
      /** At most one update per alert per this many seconds (default 5). */
      updateEveryS: z.number().min(0).max(3600).default(5),
      /** Addresses listed per alert (default 100; counts give the totals). */
      maxListed: z.number().int().min(1).max(1000).default(100),
    })
    .prefault({}),
  rules: z
    .strictObject({
      port_scan: PortScanConfig.prefault({}),
      host_sweep: HostSweepConfig.prefault({}),
      syn_flood: SynFloodConfig.prefault({}),
      udp_flood: UdpFloodConfig.prefault({}),
      icmp_flood: IcmpFloodConfig.prefault({}),
      ddos: DdosConfig.prefault({}),
      traffic_spike: TrafficSpikeConfig.prefault({}),
      large_transfer: LargeTransferConfig.prefault({}),
    })
    .prefault({}),
});
export type RulesConfig = z.infer<typeof RulesConfig>;
export type RulesConfigInput = z.input<typeof RulesConfig>;
export type PortScanConfig = z.infer<typeof PortScanConfig>;
export type HostSweepConfig = z.infer<typeof HostSweepConfig>;
export type SynFloodConfig = z.infer<typeof SynFloodConfig>;
export type UdpFloodConfig = z.infer<typeof UdpFloodConfig>;
export type IcmpFloodConfig = z.infer<typeof IcmpFloodConfig>;
export type DdosConfig = z.infer<typeof DdosConfig>;
export type TrafficSpikeConfig = z.infer<typeof TrafficSpikeConfig>;
export type LargeTransferConfig = z.infer<typeof LargeTransferConfig>;

export type RulesConfigResult =
  | { ok: true; value: RulesConfig }
  | { ok: false; code: 'RULES.YAML_INVALID' | 'RULES.SCHEMA_INVALID'; reason: string };

/** Parses rules configuration (YAML or JSON text, or an already-parsed object) without throwing. */
export function parseRulesConfig(input?: string | RulesConfigInput | null): RulesConfigResult {
  let raw: unknown = input ?? {};
  if (typeof input === 'string') {
    try {
      // Loaded when there is text to parse (~30 ms): the built-in defaults need no YAML parser.
      const { parse: parseYaml } = require('yaml') as typeof import('yaml');
      raw = parseYaml(input) ?? {};
    } catch (e) {
      return { ok: false, code: 'RULES.YAML_INVALID', reason: (e as Error).message };
    }
  }
  const r = RulesConfig.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const reason = r.error.issues
    .slice(0, 8)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  return { ok: false, code: 'RULES.SCHEMA_INVALID', reason };
}

/** Error thrown by `loadRulesConfig`: a bad configuration stops the service at start. */
export class RulesConfigError extends Error {
  constructor(readonly code: 'RULES.YAML_INVALID' | 'RULES.SCHEMA_INVALID', readonly reason: string) {
    super(`invalid rules configuration (${code}): ${reason}`);
    this.name = 'RulesConfigError';
  }
}

/** Loads the rules configuration: defaults for everything not given; throws RulesConfigError with every problem found. */
export function loadRulesConfig(yamlText?: string): RulesConfig {
  const r = parseRulesConfig(yamlText);
  if (!r.ok) throw new RulesConfigError(r.code, r.reason);
  return r.value;
}
