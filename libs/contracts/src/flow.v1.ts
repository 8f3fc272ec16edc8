import { z } from 'zod';
import { EpochSeconds, IpAddress, Protocol, SensorId, StorableText } from './common';

export const FLOW_END_REASONS = ['idle', 'active', 'fin', 'rst', 'end_of_input', 'evicted'] as const;
/** Why the flow record was exported. `active` means the flow continues as a new record. */
export const FlowEndReason = z.enum(FLOW_END_REASONS);

export const FLOW_STATES = ['established', 'rejected', 'half_open', 'reset', 'ongoing', 'one_way', 'two_way'] as const;
/**
 * TCP: established (handshake completed), rejected (SYN answered by RST), half_open (SYN, no answer),
 * reset (RST after the handshake), ongoing (no handshake seen, data both ways); others: one_way / two_way.
 */
export const FlowState = z.enum(FLOW_STATES);

/** A finished bidirectional flow. `src` is the initiator (the SYN sender for TCP when seen). */
export const FlowV1 = z.object({
  /** Deterministic id: hash of (sensor, canonical key, start time). Same flow, same id, on every run. */
  id: StorableText.min(1).max(128),
  sensor: SensorId,
  proto: Protocol,
  srcIp: IpAddress,
  srcPort: z.number().int().min(0).max(65535),
  dstIp: IpAddress,
  dstPort: z.number().int().min(0).max(65535),
  /** Outer and inner 802.1Q VLAN ids, 0 when untagged. Part of the flow key. */
  vlan: z.number().int().min(0).max(4095),
  vlanInner: z.number().int().min(0).max(4095),
  /** First and last packet times. */
  start: EpochSeconds,
  end: EpochSeconds,
  endReason: FlowEndReason,
  state: FlowState,
  /** Application port class: registered service name of the responder port (`http`, `dns`...), else of the initiator's port if only that one is registered, else `other`; `icmp`/`icmpv6`/... for port-less protocols. */
  service: StorableText.min(1).max(32),
  fwdPackets: z.number().int().nonnegative(),
  bwdPackets: z.number().int().nonnegative(),
  /** Bytes are frame lengths on the wire. */
  fwdBytes: z.number().int().nonnegative(),
  bwdBytes: z.number().int().nonnegative(),
  /** Every numeric feature by name (see libs/flows/README.md for the formula of each). */
  features: z.record(StorableText, z.number().finite()),
});
export type FlowV1 = z.infer<typeof FlowV1>;
