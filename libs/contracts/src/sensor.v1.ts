import { z } from 'zod';
import { SensorId, StorableText } from './common';

/** Sensor heartbeat, published every few seconds on `netsentry.sensors.v1`. */
export const SensorHeartbeatV1 = z.object({
  sensor: SensorId,
  /** Wall-clock time the heartbeat was sent (epoch seconds). */
  sentAt: z.number().finite().nonnegative(),
  status: z.enum(['starting', 'capturing', 'replaying', 'degraded', 'stopped', 'error']),
  /** Interface name or capture file being read. */
  source: StorableText.max(4096),
  /** Human-readable reason when status is degraded or error. */
  message: StorableText.max(2000).optional(),
  counters: z.object({
    packetsSeen: z.number().int().nonnegative(),
    kernelDropped: z.number().int().nonnegative(),
    malformed: z.number().int().nonnegative(),
    published: z.number().int().nonnegative(),
    publishErrors: z.number().int().nonnegative(),
    bufferDropped: z.number().int().nonnegative(),
  }),
  /** Packet-time watermark: no packet older than this will follow (epoch seconds). */
  watermark: z.number().finite().nonnegative().optional(),
});
export type SensorHeartbeatV1 = z.infer<typeof SensorHeartbeatV1>;
