import type { UdpFloodConfig } from './config';
import { CidrSet } from './cidr';
import { DestinationRate } from './flood';
import { plural, round, ruleId, type RuleDefinition } from './rule';
import { IdleMap } from './window';

/**
 * udp_flood: a UDP packet rate to one destination over `minPps` and `baselineFactor` times its
 * moving baseline, averaged over `windowS`.
 *
 * UDP packets that answer flows the destination opened do not count (a host flooding an echo
 * service is not flooded by the echoes).
 * Catches: UDP floods (hping3 --udp --flood, DHCP request floods), amplification floods (DNS,
 * SNMP, NTP answers, fragments included) aimed at one host. The packets must hammer few
 * destination ports (`minPacketsPerPort`) or come from many sources (`minSources`), so that a
 * UDP port scan (one source, one packet per port) is left to port_scan. Sources are the flood
 * sources (FloodSources); a flood whose every source is allow-listed is not reported.
 * Misses: floods below `minPps`; floods that ramp up slowly enough to raise the baseline;
 * a single source flooding a new port with each packet; floods aimed at many destinations
 * at a lower rate each (see traffic_spike). Busy UDP servers (DNS, streaming) with a steady
 * load do not fire once the baseline has learned them, but do in their first seconds: allow-list them.
 * While a ddos alert is open on the target, its findings go into that alert instead of one of
 * its own, and an alert of its own already open there is closed as part of it (ddos.rule.ts).
 * Identity: the target.
 */
export const udpFloodRule: RuleDefinition<UdpFloodConfig> = {
  type: 'udp_flood',
  // 3: no alert of its own on a target while a ddos alert is open there (it takes this rule's findings in).
  version: 3,
  create(cfg, _env, sensor) {
    const rule = ruleId(udpFloodRule);
    const allowT = new CidrSet(cfg.allowTargets);
    const allowS = new CidrSet(cfg.allowSources);
    const w = cfg.windowS;
    const clip = (b: number): number => Math.max(cfg.minPps, cfg.baselineFactor * b) / 2;
    const state = new IdleMap<string, DestinationRate>();
    return {
      onInterval(iv, report) {
        const now = iv.end;
        for (const d of iv.destinations) {
          const count = d.protocols.udp.packets - (d.udpAnswers ?? 0); // answers to the destination's own flows are not a flood
          if (count === 0 && state.get(d.ip) === undefined) continue;
          if (allowT.has(d.ip)) continue;
          const r = state.touch(d.ip, iv.start, () => new DestinationRate(d.ip, w, cfg.baselineAlpha));
          r.observe(iv.start, iv.intervalS, count, d, d.udpPorts, clip);
          const pps = r.pps(now);
          const nPorts = Math.max(1, r.ports.count(now));
          const perPort = r.packets.sum(now) / nPorts;
          r.firing = count > 0 && pps >= cfg.minPps && pps >= cfg.baselineFactor * r.before;
          if (!r.firing) continue;
          const flood = r.flood.select(now, allowS);
          const nSources = flood.count;
          r.firing = (perPort >= cfg.minPacketsPerPort || nSources >= cfg.minSources) && nSources > 0;
          if (!r.firing) continue;
          report({
            type: 'udp_flood',
            rule,
            sensor,
            severity: cfg.severity,
            key: { sources: [], targets: [d.ip] },
            sources: flood.sources,
            targets: [d.ip],
            sourceCount: nSources,
            start: r.packets.first(now),
            end: now,
            summary:
              `${d.ip} received ${round(pps, 0)} UDP packets/s over ${w} s ` +
              `(baseline ${round(r.before, 1)}/s) from ${plural(nSources, 'source')} to ${plural(nPorts, 'port')}.`,
            evidence: [
              { metric: 'udp_packets_per_second', value: round(pps, 1), threshold: cfg.minPps, op: '>=', windowSeconds: w, baseline: round(r.before, 3) },
              { metric: 'udp_packets_per_port', value: round(perPort, 1), threshold: cfg.minPacketsPerPort, op: '>=', windowSeconds: w },
              { metric: 'distinct_sources', value: nSources, threshold: cfg.minSources, op: '>=', windowSeconds: w },
            ],
          });
        }
        state.expire(now - Math.max(w, 1 / cfg.baselineAlpha) * 4);
      },
    };
  },
};
