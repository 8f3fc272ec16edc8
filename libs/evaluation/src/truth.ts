/**
 * The ground truth of a lab capture (`<name>.truth.json` beside `<name>.pcap`), written by
 * libs/lab and read by the evaluation. Times are epoch seconds taken from the capture itself.
 */
import { z } from 'zod';
import { AlertType, EpochSeconds, IpAddress } from '@netsentry/contracts';

/** One attack as it appears in the capture. */
export const TruthAttackV1 = z.object({
  /** Attack id from the scenario. */
  id: z.string().min(1),
  /** Alert type a detector should raise (libs/contracts ALERT_TYPES). */
  type: AlertType,
  /** Scenario attack kind that produced it (e.g. `exfiltration` for `large_transfer`). */
  kind: z.string().min(1),
  /** Attacking addresses. */
  sources: z.array(IpAddress).min(1),
  /** Attacked addresses (for a host sweep: every address that was probed). */
  targets: z.array(IpAddress).min(1),
  /** First and last packet between sources and targets during the attack (epoch seconds, µs precision). */
  start: EpochSeconds,
  end: EpochSeconds,
  /** Packets and wire bytes of the attack's traffic, both directions. */
  packets: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  /** The tool that made it, as run (for people). */
  tool: z.string().optional(),
  /** The attack's parameters from the scenario. */
  params: z.record(z.string(), z.unknown()).optional(),
});
export type TruthAttackV1 = z.infer<typeof TruthAttackV1>;

export const TruthHostV1 = z.object({
  name: z.string().min(1),
  ip: IpAddress,
  /** `attacker`: sends only attack traffic; `benign`: everything else (servers and clients). */
  role: z.enum(['attacker', 'benign']),
});
export type TruthHostV1 = z.infer<typeof TruthHostV1>;

export const TruthV1 = z.object({
  version: z.literal(1),
  /** Scenario name and seed that produced the capture. */
  scenario: z.string().min(1),
  seed: z.number().int().nonnegative(),
  /** sha256 of the scenario file's text. */
  scenarioSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** Capture file name (beside the truth file). */
  capture: z.string().min(1),
  /** First and last packet of the whole capture, and its packet count. */
  captureStart: EpochSeconds,
  captureEnd: EpochSeconds,
  packets: z.number().int().nonnegative(),
  /** The lab subnet, e.g. `10.66.0.0/24`. */
  subnet: z.string().min(1),
  hosts: z.array(TruthHostV1),
  /** Addresses of the hosts that only do benign things. */
  benignHosts: z.array(IpAddress),
  attacks: z.array(TruthAttackV1),
  /** Activity processes: planned, finished with status 0, failed, and stopped at their time limit. */
  steps: z.object({ planned: z.number().int(), ok: z.number().int(), failed: z.number().int(), stopped: z.number().int() }).optional(),
});
export type TruthV1 = z.infer<typeof TruthV1>;

export type TruthResult = { ok: true; truth: TruthV1 } | { ok: false; code: 'TRUTH.READ' | 'TRUTH.JSON' | 'TRUTH.INVALID'; reason: string };

/** Validates a parsed truth value. */
export function parseTruth(raw: unknown): TruthResult {
  const r = TruthV1.safeParse(raw);
  if (r.success) return { ok: true, truth: r.data };
  return { ok: false, code: 'TRUTH.INVALID', reason: r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
}

