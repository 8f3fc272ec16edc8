import { AlertV1, type StatsV1 } from '@netsentry/contracts';
import { haveCommand, isRoot, itIf } from '@netsentry/testing';
import { alertLines, runCapture } from './rules.harness';
import { LAB_TOOLS, recordLabCaptures, type LabCaptures } from './rules.netns';

/*
 * Rules on captures recorded here between two network namespaces, with real replies: the
 * shared captures are one-directional for floods and have no traffic spike or large transfer
 * under the default thresholds.
 */
const missing = LAB_TOOLS.filter((t) => !haveCommand(t));
const canRun = isRoot && missing.length === 0;
const reason = !isRoot ? 'needs root for network namespaces' : `missing tools: ${missing.join(', ')}`;
const labIt = itIf(canRun, reason);

describe('rules on namespace lab captures (nmap, hping3, curl with real replies)', () => {
  let lab: LabCaptures | undefined;

  beforeAll(async () => {
    if (canRun) lab = await recordLabCaptures();
  }, 240_000);

  afterAll(() => lab?.cleanup());

  labIt('nmap -sS, nmap -sn (ARP) and hping3 -S answered by a live host: port_scan, host_sweep, syn_flood', async () => {
    const { attacker, victim, sweptPrefix } = lab!;
    const r = await runCapture(lab!.scans);
    expect(alertLines(r.alerts)).toEqual([
      `host_sweep ${attacker} -> ${r.alerts.find((a) => a.type === 'host_sweep')!.targets.length} hosts`,
      `port_scan ${attacker} -> ${victim}`,
      `syn_flood -> ${victim}`,
    ]);
    for (const a of r.alerts) expect(AlertV1.safeParse(a).success).toBe(true);
    const scan = r.alerts.find((a) => a.type === 'port_scan')!;
    expect(scan.evidence[0]).toMatchObject({ metric: 'distinct_dst_ports', value: 100 });
    expect(scan.summary).toMatch(/with \d+ probes; 0 answered, \d+ refused\.$/); // closed ports answer RST
    const sweep = r.alerts.find((a) => a.type === 'host_sweep')!;
    expect(sweep.targetCount ?? sweep.targets.length).toBeGreaterThanOrEqual(30);
    expect(sweep.targets.every((t) => t.startsWith(sweptPrefix))).toBe(true);
    expect(sweep.evidence[0].metric).toBe('distinct_hosts_arp');
    const syn = r.alerts.find((a) => a.type === 'syn_flood')!;
    expect(syn.sources).toEqual([attacker]);
    expect(syn.evidence[0].value).toBeGreaterThanOrEqual(1000);
  });

  labIt('the same alerts with two aggregator instances', async () => {
    const one = await runCapture(lab!.scans);
    const two = await runCapture(lab!.scans, { parts: 2, shuffleSeed: 99 });
    expect(two.events).toEqual(one.events);
  });

  labIt('a UDP flood answered by an echo server after 32 s of quiet traffic: udp_flood and traffic_spike', async () => {
    const { attacker, victim } = lab!;
    let replies = 0;
    const r = await runCapture(lab!.spike, {
      onStats: (s: StatsV1) => {
        if (s.entity.kind === 'destination' && s.entity.ip === attacker) replies += s.entity.protocols.udp.packets;
      },
    });
    expect(replies).toBeGreaterThan(1000); // the flood was answered
    expect(r.alerts.map((a) => a.type).sort()).toEqual(['traffic_spike', 'udp_flood']);
    expect(alertLines(r.alerts)).toContain(`udp_flood -> ${victim}`);
    const udp = r.alerts.find((a) => a.type === 'udp_flood')!;
    expect(udp.sources).toEqual([attacker]);
    expect(udp.evidence[0].value).toBeGreaterThanOrEqual(100);
    const spike = r.alerts.find((a) => a.type === 'traffic_spike')!;
    expect(spike.evidence[0].metric).toBe('packets_per_second');
    expect(spike.evidence[0].value).toBeGreaterThanOrEqual(1000);
    expect(spike.evidence[1].value).toBeGreaterThanOrEqual(5);
    // Raised at the flood, after the 30 s warm-up, not during the quiet baseline.
    const raised = r.events.find((e) => e.alert.type === 'traffic_spike' && e.change === 'new')!;
    expect(raised.alert.end - r.firstTs).toBeGreaterThanOrEqual(31);
  });

  labIt('a 60 MB download: large_transfer server -> client, high when it leaves the home network', async () => {
    const { attacker, victim } = lab!;
    const r = await runCapture(lab!.transfer);
    expect(alertLines(r.alerts)).toEqual([`large_transfer ${victim} -> ${attacker}`]);
    const a = r.alerts[0];
    expect(a.severity).toBe('medium'); // both ends private
    expect(a.evidence[0].metric).toBe('bytes');
    expect(a.evidence[0].value).toBeGreaterThanOrEqual(50_000_000);
    const leaving = await runCapture(lab!.transfer, { config: { homeNet: [`${victim}/32`] } });
    expect(leaving.alerts.map((x) => `${x.type} ${x.severity}`)).toEqual(['large_transfer high']);
    expect(leaving.alerts[0].summary).toMatch(/leaving the home network\.$/);
  });
});
