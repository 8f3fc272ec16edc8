import type { Kafka } from 'kafkajs';
import { parseFlowsMessage, parseJsonMessage, type FlowV1 } from '@netsentry/contracts';
import { kindOf, KIND_WATERMARK, WatermarkV1 } from './envelope';

/**
 * Reads a flows topic from the beginning until every (partition, source) stream of `sensor`
 * announced the end of input; returns the flows of that sensor (duplicates included, so a
 * caller can check exactly-once). For tests and benchmarks.
 */
export async function readFlowsUntilEnd(
  kafka: Kafka,
  topic: string,
  sensor: string,
  timeoutMs: number,
): Promise<{ flows: FlowV1[]; invalid: number; lastFlowAtMs: number }> {
  const admin = kafka.admin();
  await admin.connect();
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  await admin.disconnect();
  const parts = meta.topics[0].partitions.length;
  const consumer = kafka.consumer({ groupId: `read-flows-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}`, maxWaitTimeInMs: 100 });
  const flows: FlowV1[] = [];
  const eos = new Set<string>();
  let sources = -1;
  let invalid = 0;
  let lastFlowAtMs = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`readFlowsUntilEnd: ${flows.length} flows, end seen on ${eos.size}/${sources < 0 ? '?' : parts * sources} streams within ${timeoutMs} ms`)), timeoutMs);
      void consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            if (kindOf(message.headers) === KIND_WATERMARK) {
              const w = parseJsonMessage(WatermarkV1, message.value);
              if (!w.ok || w.value.sensor !== sensor) return;
              sources = w.value.sources;
              if (w.value.eos) eos.add(`${partition}/${w.value.source}`);
              if (eos.size >= parts * sources) {
                clearTimeout(timer);
                res();
              }
              return;
            }
            // One JSON FlowV1 or a flow batch (libs/contracts flow-batch.v1).
            const f = parseFlowsMessage(message.value);
            if (!f.ok) invalid++;
            else {
              for (const x of f.flows) if (x.sensor === sensor) flows.push(x);
              if (f.flows.length && f.flows[0].sensor === sensor) lastFlowAtMs = Date.now();
            }
          },
        })
        .catch(rej);
    });
  } finally {
    await consumer.disconnect();
  }
  return { flows, invalid, lastFlowAtMs };
}
