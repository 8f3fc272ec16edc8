import { createTestDatabase, deleteTopics, haveSharedPcaps, itIf, SHARED_PCAPS, uniqueName, type TestDatabase } from '@netsentry/testing';
import { migrateDatabase } from '@netsentry/storage';
import { topicMap, type ServiceProcess } from '@netsentry/messaging';
import { pcap, readStored, replay, startAggregator, startDetector, waitForGroup, waitSensorEnd, pipelineEnv } from './pipeline.harness';

// Two detector instances (and two aggregators) give the same alerts as one: flows are keyed by
// source, statistics by entity, so per-source rules (port scan) and per-destination rules
// (SYN flood, DDoS) each see every partial of their entity on one instance.
describe('detector with two instances', () => {
  const procs: ServiceProcess[] = [];
  const dbs: TestDatabase[] = [];
  const suffixes: string[] = [];
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    for (const d of dbs) await d.drop().catch(() => undefined);
    for (const s of suffixes) await deleteTopics(Object.values(topicMap(s))).catch(() => undefined);
  });

  async function run(label: string, instances: number): Promise<Awaited<ReturnType<typeof readStored>>> {
    const db = await createTestDatabase({ migrate: migrateDatabase });
    dbs.push(db);
    const p = pipelineEnv('.' + uniqueName(label), db.url);
    suffixes.push(p.suffix);
    const aggs: ServiceProcess[] = [];
    const dets: ServiceProcess[] = [];
    for (let i = 0; i < instances; i++) {
      aggs.push(await startAggregator(p, `${label}-agg-${i}`));
      dets.push(await startDetector(p, `${label}-det-${i}`));
    }
    procs.push(...aggs, ...dets);
    await waitForGroup(p.aggGroup, instances, 60000);
    await waitForGroup(p.detGroup, instances, 60000);
    const s1 = replay(p, 'two-flood', pcap(SHARED_PCAPS, 'stopddos/pkt.TCP.DOMINATE.syn.ecn.cwr.pcapng'));
    const s2 = replay(p, 'two-scan', pcap(SHARED_PCAPS, 'esnet-curated/masscan_tcp_0_1000_20190821.pcap'));
    procs.push(s1, s2);
    expect(await s1.exited).toBe(0);
    expect(await s2.exited).toBe(0);
    await waitSensorEnd(dets, 'two-flood', 180000);
    await waitSensorEnd(dets, 'two-scan', 180000);
    const stored = await readStored(db.url);
    await Promise.all([...aggs, ...dets].map((x) => x.stop()));
    return stored;
  }

  itIf(haveSharedPcaps, 'needs ../shared/data/pcaps')('two detector instances store the same alerts and flows as one', async () => {
    const one = await run('detone', 1);
    const two = await run('dettwo', 2);
    expect(one.alertList.some((a) => a.type === 'port_scan')).toBe(true);
    // The SYN DDoS is one ddos alert that takes in the syn_flood on its target (rules: one attack, one alert).
    expect(one.alertList.some((a) => a.type === 'ddos')).toBe(true);
    expect(two.alerts).toEqual(one.alerts);
    expect(two.flows).toEqual(one.flows);
  }, 600000);
});
