import type { Producer } from 'kafkajs';
import { DeadLetterV1 } from '@netsentry/contracts';
import { sendChunked } from './send';

const MAX_VALUE = 64 * 1024;

/** A message a consumer could not read, with where it came from and why. */
export interface Rejected {
  topic: string;
  partition: number;
  offset: string;
  code: string;
  reason: string;
  key: Buffer | null;
  value: Buffer | null;
}

/**
 * Parks unreadable messages on the dead-letter topic with the reason, and counts them by code.
 * Never throws: a dead-letter topic that cannot be reached is counted as `deadletterErrors`.
 */
export class DeadLetters {
  readonly counts: Record<string, number> = {};
  deadletterErrors = 0;
  private pending: DeadLetterV1[] = [];

  constructor(private readonly producer: Producer, private readonly topic: string, private readonly consumer: string) {}

  reject(r: Rejected): void {
    this.counts[r.code] = (this.counts[r.code] ?? 0) + 1;
    const value = r.value == null ? null : r.value.subarray(0, MAX_VALUE).toString('base64');
    const dl: DeadLetterV1 = {
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      code: r.code,
      // A reason may quote hostile text (a zod path is a record key); NUL would make the dead letter itself unstorable.
      reason: r.reason.slice(0, 4000).replace(/\u0000/g, '\\0'),
      consumer: this.consumer,
      at: Date.now() / 1000,
      key: r.key == null ? null : r.key.toString('base64'),
      value,
    };
    this.pending.push(dl);
  }

  get total(): number {
    let n = 0;
    for (const v of Object.values(this.counts)) n += v;
    return n;
  }

  /** Sends what was rejected since the last flush; call before committing the offsets. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      await sendChunked(this.producer, [{ topic: this.topic, messages: batch.map((d) => ({ key: `${d.topic}/${d.partition}`, value: JSON.stringify(d) })) }]);
    } catch {
      this.deadletterErrors += batch.length;
    }
  }
}
