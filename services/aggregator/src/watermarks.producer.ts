import type { Message } from 'kafkajs';
import { H_KIND, KIND_WATERMARK, type WatermarkV1 } from '@netsentry/messaging';

/**
 * One watermark message per partition of a downstream topic: sent after the flows and stats up
 * to that time are acknowledged, so a consumer that has read it on a partition has read every
 * earlier output of this source there.
 */
export function watermarkMessages(wm: WatermarkV1, partitions: number): Message[] {
  const value = JSON.stringify(wm);
  const out: Message[] = [];
  for (let p = 0; p < partitions; p++) out.push({ partition: p, key: `wm:${wm.sensor}:${wm.source}`, value, headers: { [H_KIND]: KIND_WATERMARK } });
  return out;
}
