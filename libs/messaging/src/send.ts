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

/**
 * `sendChunked` retried in place with exponential backoff (200 ms doubling to 5 s) for up to
 * `maxMs`: a transient broker fault (leader move, timeout on a busy machine) must neither lose
 * what a consumer already took out of its input nor reorder it. `onError` is told of each failed
 * attempt. Throws the last error when the broker stays away longer than `maxMs`.
 */
export async function sendReliably(
  producer: Producer,
  data: TopicMessages[],
  opts: { maxMs?: number; onError?: (e: Error) => void } = {},
): Promise<void> {
  const until = Date.now() + (opts.maxMs ?? 120_000);
  let backoff = 200;
  for (;;) {
    try {
      await sendChunked(producer, data);
      return;
    } catch (e) {
      opts.onError?.(e as Error);
      if (Date.now() + backoff > until) throw e;
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 5000);
    }
  }
}
