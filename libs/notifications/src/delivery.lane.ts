/**
 * One destination's deliveries: at most `concurrency` in progress, at most `queueSize` waiting
 * (first come, first served). A job that finds the queue full is refused ('full') rather than
 * queued, so memory stays bounded whatever the alert rate; the caller decides what to do with
 * it (the notifier folds it into a digest).
 */
export class DeliveryLane {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    readonly queueSize: number,
  ) {}

  /** Jobs in progress. */
  get running(): number {
    return this.active;
  }

  /** Jobs waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `job` now if a slot is free, else queues it; resolves when the job has finished (its
   * rejection is swallowed: jobs report their own failures). 'full' when the queue is full,
   * unless `force` (for a batch already bounded by the caller, such as the digests at shutdown).
   */
  submit(job: () => Promise<void>, force = false): Promise<void> | 'full' {
    if (this.active < this.concurrency) return this.run(job);
    if (!force && this.waiting.length >= this.queueSize) return 'full';
    return new Promise<void>((resolve) => this.waiting.push(() => resolve(this.run(job))));
  }

  private async run(job: () => Promise<void>): Promise<void> {
    this.active++;
    try {
      await job();
    } catch {
      // a job reports its own failure; the slot must be freed regardless
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
