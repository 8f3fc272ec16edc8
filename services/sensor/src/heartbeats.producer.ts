import type { Producer } from 'kafkajs';
import { SensorHeartbeatV1 } from '@netsentry/contracts';
import type { SensorCounters } from './sensor.counters';

type Status = SensorHeartbeatV1['status'];

/** Publishes SensorHeartbeatV1 every few seconds, keyed by sensor id. Never throws. */
export class HeartbeatsProducer {
  private timer: NodeJS.Timeout | null = null;
  status: Status = 'starting';
  message: string | undefined;
  errors = 0;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly sensor: string,
    private readonly source: string,
    private readonly counters: SensorCounters,
    private readonly watermarkUs: () => number,
  ) {}

  start(everyMs: number): void {
    void this.beat();
    this.timer = setInterval(() => void this.beat(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async beat(): Promise<void> {
    const wm = this.watermarkUs();
    const hb: SensorHeartbeatV1 = {
      sensor: this.sensor,
      sentAt: Date.now() / 1000,
      status: this.status,
      source: this.source.slice(0, 4096),
      message: this.message?.slice(0, 2000),
      counters: this.counters.snapshot(),
      watermark: wm > 0 ? wm / 1e6 : undefined,
    };
    const checked = SensorHeartbeatV1.safeParse(hb);
    if (!checked.success) {
      this.errors++;
      return;
    }
    try {
      await this.producer.send({ topic: this.topic, acks: -1, messages: [{ key: this.sensor, value: JSON.stringify(checked.data) }] });
    } catch {
      this.errors++;
    }
  }
}
