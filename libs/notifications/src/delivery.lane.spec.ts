import { DeliveryLane } from './delivery.lane';

/** A job that finishes when the test says so. */
function gate(): { job: () => Promise<void>; open: () => void; started: () => boolean } {
  let open = (): void => undefined;
  let started = false;
  const p = new Promise<void>((resolve) => (open = resolve));
  return {
    job: () => {
      started = true;
      return p;
    },
    open: () => open(),
    started: () => started,
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('DeliveryLane', () => {
  it('runs at most `concurrency` jobs, queues up to `queueSize`, refuses past it, first come first served', async () => {
    const lane = new DeliveryLane(2, 2);
    const g = Array.from({ length: 5 }, gate);
    const done = g.slice(0, 4).map((x) => lane.submit(x.job));
    expect(lane.submit(g[4].job)).toBe('full');
    expect(g.map((x) => x.started())).toEqual([true, true, false, false, false]);
    expect([lane.running, lane.queued]).toEqual([2, 2]);
    g[1].open();
    await tick();
    expect(g.map((x) => x.started())).toEqual([true, true, true, false, false]);
    expect(lane.submit(g[4].job)).not.toBe('full'); // room again
    for (const x of g) x.open();
    await Promise.all(done);
    await tick();
    expect([lane.running, lane.queued]).toEqual([0, 0]);
  });

  it('frees the slot of a job that throws, and queues past the limit when forced', async () => {
    const lane = new DeliveryLane(1, 0);
    const failing = lane.submit(() => Promise.reject(new Error('boom')));
    const g = gate();
    const forced = lane.submit(g.job, true);
    expect(forced).not.toBe('full');
    expect(lane.submit(g.job)).toBe('full');
    await expect(failing).resolves.toBeUndefined();
    await tick();
    expect(g.started()).toBe(true);
    g.open();
    await forced;
    expect(lane.running).toBe(0);
  });
});
