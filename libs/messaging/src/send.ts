import type { Message, Producer, TopicMessages } from 'kafkajs';

/** Kafka's default max.message.bytes applies to a whole record batch (one per partition per request): stay well under it. */
export const MAX_REQUEST_BYTES = 768 * 1024;

function size(m: Message): number {
  const v = m.value;
  const k = m.key;
  return 64 + (v == null ? 0 : typeof v === 'string' ? v.length * 3 : v.length) + (k == null ? 0 : typeof k === 'string' ? k.length : k.length);
}

/**
 * Sends messages of several topics in requests of at most `maxBytes` each and waits until the
 * broker acknowledged all of them (acks=-1). Order is kept per topic-partition within one call
 * only for messages with an explicit partition in the same chunk; use separate calls for
 * messages that must follow others (watermarks after data).
 */
export async function sendChunked(producer: Producer, data: TopicMessages[], maxBytes = MAX_REQUEST_BYTES): Promise<void> {
  const chunks: TopicMessages[][] = [];
  let cur: TopicMessages[] = [];
  let curBytes = 0;
  for (const tm of data) {
    let part: Message[] = [];
    for (const m of tm.messages) {
      const s = size(m);
      if (curBytes + s > maxBytes && (part.length > 0 || cur.length > 0)) {
        if (part.length) cur.push({ topic: tm.topic, messages: part });
        chunks.push(cur);
        cur = [];
        part = [];
        curBytes = 0;
      }
      part.push(m);
      curBytes += s;
    }
    if (part.length) cur.push({ topic: tm.topic, messages: part });
  }
  if (cur.length) chunks.push(cur);
  // Sequential: keeps per-partition order across chunks and bounds memory in flight.
  for (const c of chunks) await producer.sendBatch({ acks: -1, topicMessages: c });
}
