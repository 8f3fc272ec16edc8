import { deleteTopics, haveSharedPcaps, itIf, SHARED_PCAPS, testKafka, uniqueName } from '@netsentry/testing';
import { readFlowsUntilEnd, topicMap, type ServiceProcess } from '@netsentry/messaging';
import { flowDigest, replay, startAggregator, SYN_FLOOD, waitForGroup } from './aggregator.harness';

// Two aggregator instances on a 4-partition packet topic: every flow exactly once, and the same
// flow set as one instance (real broker, real capture: 9 878 SYN-flood packets from 9 697 sources).
describe('aggregator scale-out', () => {
  const procs: ServiceProcess[] = [];
  const suffixes: string[] = [];
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    for (const s of suffixes) await deleteTopics(Object.values(topicMap(s))).catch(() => undefined);
  });

  itIf(haveSharedPcaps, 'needs ../shared/data/pcaps')('two instances produce every flow exactly once and the same flows as one instance', async () => {
    const kafka = testKafka('agg-scale-test');
    const file = SYN_FLOOD(SHARED_PCAPS);
    const sensor = 'scale-out-sensor';

    // One instance.
    const s1 = '.' + uniqueName('aggone');
    suffixes.push(s1);
    const g1 = uniqueName('agg-one');
    const a = await startAggregator(s1, g1, 'agg-one-a');
    procs.push(a);
    await waitForGroup(kafka, g1, 1, 60000);
    const r1 = replay(s1, sensor, file);
    procs.push(r1);
    expect(await r1.exited).toBe(0);
    const one = await readFlowsUntilEnd(kafka, topicMap(s1).flows, sensor, 120000);
    await a.stop();

    // Two instances, same sensor id and capture, separate topics.
    const s2 = '.' + uniqueName('aggtwo');
    suffixes.push(s2);
    const g2 = uniqueName('agg-two');
    const b = await startAggregator(s2, g2, 'agg-two-b');
    procs.push(b);
    const c = await startAggregator(s2, g2, 'agg-two-c');
    procs.push(c);
    await waitForGroup(kafka, g2, 2, 60000);
    const r2 = replay(s2, sensor, file);
    procs.push(r2);
    expect(await r2.exited).toBe(0);
    const two = await readFlowsUntilEnd(kafka, topicMap(s2).flows, sensor, 120000);
    await new Promise((r) => setTimeout(r, 1500));
    await Promise.all([b.stop(), c.stop()]);

    expect(one.invalid).toBe(0);
    expect(two.invalid).toBe(0);
    expect(one.flows.length).toBeGreaterThan(9000);
    // exactly once: no id twice
    expect(new Set(two.flows.map((f) => f.id)).size).toBe(two.flows.length);
    expect(new Set(one.flows.map((f) => f.id)).size).toBe(one.flows.length);
    // same flows, same counts
    expect(flowDigest(two.flows)).toEqual(flowDigest(one.flows));
    // both instances did work
    const packetsOf = (p: ServiceProcess): number => {
      const l = [...p.lines].reverse().find((x) => x.includes('"event":"counters"'));
      return l ? (JSON.parse(l) as { packets: number }).packets : 0;
    };
    expect(packetsOf(b)).toBeGreaterThan(0);
    expect(packetsOf(c)).toBeGreaterThan(0);
    expect(packetsOf(b) + packetsOf(c)).toBe(9878);
  }, 300000);
});
