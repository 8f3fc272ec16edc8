import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { deleteTopics, itIf, testKafka, uniqueName } from '@netsentry/testing';
import { readFlowsUntilEnd, REPO_ROOT, topicMap, type ServiceProcess } from '@netsentry/messaging';
import { flowDigest, replay, startAggregator, waitForGroup } from './aggregator.harness';

// Kill -9 an aggregator while a capture streams through it, start it again: no flow is missing
// and every re-sent flow is identical (at-least-once with deterministic ids). Short timeouts make
// flows end (and offsets get committed) while the stream runs, so the restart resumes mid-stream.
// The lab's attack sample: 50,218 packets spread over 227 s (scans, sweeps, floods, benign
// traffic), so flows end and offsets are committed all along the stream.
const ATTACKS = join(REPO_ROOT, 'data/samples/attacks.pcap');
const PACKETS = 50218;
const TIMEOUTS = { FLOW_IDLE_TIMEOUT_S: '3', FLOW_ACTIVE_TIMEOUT_S: '6', FLOW_TCP_CLOSE_GRACE_S: '1' };

describe('aggregator kill and restart', () => {
  const procs: ServiceProcess[] = [];
  const suffixes: string[] = [];
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    for (const s of suffixes) await deleteTopics(Object.values(topicMap(s))).catch(() => undefined);
  });

  itIf(existsSync(ATTACKS), 'needs data/samples/attacks.pcap')('after a SIGKILL mid-stream and a restart no flow is missing', async () => {
    const kafka = testKafka('agg-kill-test');
    const file = ATTACKS;
    const sensor = 'kill-restart-sensor';

    // Clean run.
    const s1 = '.' + uniqueName('aggclean');
    suffixes.push(s1);
    const g1 = uniqueName('agg-clean');
    const a = await startAggregator(s1, g1, 'agg-clean', TIMEOUTS);
    procs.push(a);
    await waitForGroup(kafka, g1, 1, 60000);
    const r1 = replay(s1, sensor, file, 'max'); // flows depend on packet time only
    procs.push(r1);
    expect(await r1.exited).toBe(0);
    const clean = await readFlowsUntilEnd(kafka, topicMap(s1).flows, sensor, 120000);
    await a.stop();

    // Killed run: replayed 8x faster than recorded (~28 s, whatever the machine's speed); kill
    // once 10,000 packets are in, flows have been produced and offsets committed, while the
    // replay is still sending.
    const s2 = '.' + uniqueName('aggkill');
    suffixes.push(s2);
    const g2 = uniqueName('agg-kill');
    const b = await startAggregator(s2, g2, 'agg-kill-1', TIMEOUTS);
    procs.push(b);
    await waitForGroup(kafka, g2, 1, 60000);
    const r2 = replay(s2, sensor, file, '8');
    procs.push(r2);
    await b.waitFor(/"event":"counters".*"packets":[1-9]\d{4,},"flows":[1-9]\d*,.*"commits":[1-9]/, 60000);
    expect(r2.proc.exitCode).toBeNull(); // mid-stream: the replay has not finished
    await b.stop('SIGKILL');
    const killedAfter = [...b.lines].reverse().find((l) => l.includes('"event":"counters"'))!;
    const c = await startAggregator(s2, g2, 'agg-kill-2', TIMEOUTS);
    procs.push(c);
    expect(await r2.exited).toBe(0);
    const after = await readFlowsUntilEnd(kafka, topicMap(s2).flows, sensor, 180000);
    await new Promise((r) => setTimeout(r, 1500));
    await c.stop();
    const restartedPackets = (JSON.parse([...c.lines].reverse().find((l) => l.includes('"event":"counters"'))!) as { packets: number }).packets;

    expect(clean.flows.length).toBeGreaterThan(10000);
    const cleanD = flowDigest(clean.flows);
    const afterD = flowDigest(after.flows);
    // nothing missing, nothing different, nothing invented
    for (const [id, d] of cleanD) expect([id, afterD.get(id)]).toEqual([id, d]);
    expect(afterD.size).toBe(cleanD.size);
    // every copy of a re-sent flow is identical to the first
    const seen = new Map<string, string>();
    for (const f of after.flows) {
      const d = `${f.fwdPackets}/${f.bwdPackets}/${f.fwdBytes}/${f.bwdBytes}/${f.start}/${f.end}/${f.endReason}`;
      expect(seen.get(f.id) ?? d).toBe(d);
      seen.set(f.id, d);
    }
    // The killed instance had produced and committed part of the stream: the restart resumed
    // from its committed offsets instead of from the beginning.
    expect(JSON.parse(killedAfter).flows).toBeGreaterThan(0);
    expect(restartedPackets).toBeGreaterThan(0);
    expect(restartedPackets).toBeLessThan(PACKETS);
  }, 400000);
});
