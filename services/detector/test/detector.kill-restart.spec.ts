import { createTestDatabase, deleteTopics, haveSharedPcaps, itIf, SHARED_PCAPS, uniqueName, type TestDatabase } from '@netsentry/testing';
import { migrateDatabase } from '@netsentry/storage';
import { topicMap, type ServiceProcess } from '@netsentry/messaging';
import { pcap, readStored, replay, startAggregator, startDetector, waitForGroup, waitSensorEnd, pipelineEnv } from './pipeline.harness';

// Kill -9 the detector while flows and statistics stream in, start it again: the stored alerts
// and flows equal those of a clean run (committed offsets + replay horizon + idempotent writes).
describe('detector kill and restart', () => {
  const procs: ServiceProcess[] = [];
  const dbs: TestDatabase[] = [];
  const suffixes: string[] = [];
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    for (const d of dbs) await d.drop().catch(() => undefined);
    for (const s of suffixes) await deleteTopics(Object.values(topicMap(s))).catch(() => undefined);
  });

  async function run(label: string, kill: boolean): Promise<Awaited<ReturnType<typeof readStored>>> {
    const db = await createTestDatabase({ migrate: migrateDatabase });
    dbs.push(db);
    const p = pipelineEnv('.' + uniqueName(label), db.url);
    suffixes.push(p.suffix);
    const agg = await startAggregator(p, `${label}-agg`);
    procs.push(agg);
    let det = await startDetector(p, `${label}-det-1`);
    const first = det;
    procs.push(det);
    await waitForGroup(p.aggGroup, 1, 60000);
    await waitForGroup(p.detGroup, 1, 60000);
    // A SYN flood (syn_flood/ddos, per destination) and a port scan (per source), 8x recorded speed.
    const s1 = replay(p, 'kill-flood', pcap(SHARED_PCAPS, 'stopddos/pkt.TCP.DOMINATE.syn.ecn.cwr.pcapng'), '8');
    const s2 = replay(p, 'kill-scan', pcap(SHARED_PCAPS, 'esnet-curated/masscan_tcp_0_1000_20190821.pcap'), '2');
    procs.push(s1, s2);
    if (kill) {
      await det.waitFor(/"event":"counters".*"flows":[1-9]\d{2,}/, 120000);
      await det.stop('SIGKILL');
      det = await startDetector(p, `${label}-det-2`);
      procs.push(det);
    }
    expect(await s1.exited).toBe(0);
    expect(await s2.exited).toBe(0);
    // On a loaded machine the first detector may have stored a sensor's whole input (and said so)
    // before the kill: the restarted one then has nothing of it left to read and never says it.
    const endedBeforeKill = (sensor: string): boolean => kill && first.lines.some((l) => l.includes(`"event":"sensor_end","sensor":"${sensor}"`));
    for (const sensor of ['kill-flood', 'kill-scan']) if (!endedBeforeKill(sensor)) await waitSensorEnd([det], sensor, 180000);
    const stored = await readStored(db.url);
    await Promise.all([agg.stop(), det.stop()]);
    return stored;
  }

  itIf(haveSharedPcaps, 'needs ../shared/data/pcaps')('stored alerts and flows after a SIGKILL and restart equal a clean run', async () => {
    const clean = await run('detclean', false);
    const killed = await run('detkill', true);
    expect(clean.flows.size).toBeGreaterThan(10000);
    expect(clean.alerts.size).toBeGreaterThan(0);
    expect(clean.alertList.some((a) => a.type === 'port_scan')).toBe(true);
    // The SYN DDoS is one ddos alert that takes in the syn_flood on its target (rules: one attack, one alert).
    expect(clean.alertList.some((a) => a.type === 'ddos')).toBe(true);
    expect(killed.flows).toEqual(clean.flows);
    expect(killed.alerts).toEqual(clean.alerts);
  }, 600000);
});
