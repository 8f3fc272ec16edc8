import { z } from 'zod';
import { SensorId } from '@netsentry/contracts';
import type { IHeaders } from 'kafkajs';

/**
 * Most partitions a sensor spreads its packets over (`ns-parts`), hence most upstream sources a
 * downstream watermark can declare (`WatermarkV1.sources`). The sensor and the aggregator create
 * the packets topic with at most this many (their PACKETS_PARTITIONS settings stop at it) and a
 * sensor refuses a topic that has more. Every consumer's clock waits for each declared source, so
 * an unbounded count from a hostile message would be a clock that never moves.
 */
export const MAX_PACKET_PARTITIONS = 1024;

/**
 * Envelope of a message on `netsentry.packets.v1`. The value is a packet batch (libs/packets
 * batch codec) or empty; the envelope rides in Kafka headers so the batch codec stays pure:
 *
 *   ns-sensor : sensor id (SensorId)
 *   ns-kind   : `batch` (value = packet batch) | `tick` (no packets: time advanced) | `eos` (end of input)
 *   ns-wm     : watermark, decimal integer microseconds: no packet of this sensor older than this
 *               follows in ANY partition (the sensor's clock when the message was sent)
 *   ns-parts  : partition count the sensor partitions by (so consumers know how many streams exist)
 */
export const PacketEnvelope = z.object({
  sensor: SensorId,
  kind: z.enum(['batch', 'tick', 'eos']),
  wmUs: z.number().int().nonnegative(),
  parts: z.number().int().positive().max(MAX_PACKET_PARTITIONS),
});
export type PacketEnvelope = z.infer<typeof PacketEnvelope>;

export const H_SENSOR = 'ns-sensor';
export const H_KIND = 'ns-kind';
export const H_WM = 'ns-wm';
export const H_PARTS = 'ns-parts';

export function envelopeHeaders(e: PacketEnvelope): Record<string, string> {
  return { [H_SENSOR]: e.sensor, [H_KIND]: e.kind, [H_WM]: String(e.wmUs), [H_PARTS]: String(e.parts) };
}

function header(h: IHeaders | undefined, name: string): string | undefined {
  const v = h?.[name];
  if (v == null) return undefined;
  const one = Array.isArray(v) ? v[0] : v;
  return one == null ? undefined : one.toString();
}

export type EnvelopeResult = { ok: true; value: PacketEnvelope } | { ok: false; code: 'ENVELOPE.INVALID'; reason: string };

/** Reads the envelope from headers without throwing. */
export function readEnvelope(h: IHeaders | undefined): EnvelopeResult {
  const wm = header(h, H_WM);
  const parts = header(h, H_PARTS);
  const r = PacketEnvelope.safeParse({
    sensor: header(h, H_SENSOR),
    kind: header(h, H_KIND),
    wmUs: wm != null && /^\d{1,16}$/.test(wm) ? Number(wm) : wm,
    parts: parts != null && /^\d{1,4}$/.test(parts) ? Number(parts) : parts,
  });
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, code: 'ENVELOPE.INVALID', reason: r.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}

/**
 * Watermark messages that the aggregator broadcasts to every partition of the flows and stats
 * topics after what it produced up to that time is acknowledged: `source` is the packet
 * partition they speak for, `sources` how many packet partitions exist, `eos` true after the
 * sensor's end of input. A consumer's clock for a sensor is the minimum over every
 * (partition it reads, source) pair, so it never runs ahead of a partial still in flight.
 * Marked by header `ns-kind: watermark`; the value is this JSON.
 */
export const WatermarkV1 = z
  .object({
    sensor: SensorId,
    /** Packet partition this watermark speaks for (below `sources`). */
    source: z.number().int().nonnegative().max(MAX_PACKET_PARTITIONS - 1),
    /** Number of packet partitions (sources) for this sensor, at most MAX_PACKET_PARTITIONS. */
    sources: z.number().int().positive().max(MAX_PACKET_PARTITIONS),
    /** Microseconds; nothing older from this source follows on this partition. */
    wmUs: z.number().int().nonnegative(),
    /** The sensor's input ended (a replay finished): flush. */
    eos: z.boolean(),
  })
  .refine((w) => w.source < w.sources, { message: 'source must be below sources', path: ['source'] });
export type WatermarkV1 = z.infer<typeof WatermarkV1>;
export const KIND_WATERMARK = 'watermark';

export function kindOf(h: IHeaders | undefined): string | undefined {
  return header(h, H_KIND);
}

/**
 * One watermark message per partition of a downstream topic: sent after the flows and stats up
 * to that time are acknowledged, so a consumer that has read it on a partition has read every
 * earlier output of this source there.
 */
export function watermarkMessages(wm: WatermarkV1, partitions: number): { partition: number; key: string; value: string; headers: Record<string, string> }[] {
  const value = JSON.stringify(wm);
  const out: { partition: number; key: string; value: string; headers: Record<string, string> }[] = [];
  for (let p = 0; p < partitions; p++) out.push({ partition: p, key: `wm:${wm.sensor}:${wm.source}`, value, headers: { [H_KIND]: KIND_WATERMARK } });
  return out;
}
