import type { IcmpFloodConfig } from './config';
import { CidrSet } from './cidr';
import { DestinationRate } from './flood';
import { plural, round, ruleId, type RuleDefinition } from './rule';
import { IdleMap } from './window';

/**
 * icmp_flood: an ICMP + ICMPv6 packet rate to one destination over `minPps` and
 * `baselineFactor` times its moving baseline, averaged over `windowS`.
 *
 * Echo replies to the destination's own echo requests and ICMP errors do not count (a ping
 * flooder is not flooded by the victim's replies; a UDP flooder not by port-unreachables).
 * Catches: ping floods (ping -f, hping3 --icmp --flood), ICMPv6 floods behind extension
 * headers (THC denial6), smurf-style floods to a multicast or broadcast group.
 * Misses: floods below `minPps`; ICMP error floods (BlackNurse); slow ramps that raise the baseline; ICMP spread over many
 * destinations at a low rate each. A host that is legitimately pinged hard (monitoring) fires
 * until allow-listed.
 * Sources are the flood sources (FloodSources); a flood whose every source is allow-listed is
 * not reported.
 * While a ddos alert is open on the target, its findings go into that alert instead of one of
 * its own, and an alert of its own already open there is closed as part of it (ddos.rule.ts).
 * Identity: the target.
 */
export const icmpFloodRule: RuleDefinition<IcmpFloodConfig> = {
  type: 'icmp_flood',
  // 3: no alert of its own on a target while a ddos alert is open there (it takes this rule's findings in).
  version: 3,
  create(cfg, _env, sensor) {
    const rule = ruleId(icmpFloodRule);
    const allowT = new CidrSet(cfg.allowTargets);
    const allowS = new CidrSet(cfg.allowSources);
    const w = cfg.windowS;
    const clip = (b: number): number => Math.max(cfg.minPps, cfg.baselineFactor * b) / 2;
    const state = new IdleMap<string, DestinationRate>();
    return {
      onInterval(iv, report) {
        const now = iv.end;
        for (const d of iv.destinations) {
          const count = d.protocols.icmp.packets + d.protocols.icmpv6.packets - (d.icmpAnswers ?? 0); // not replies to its own pings, not errors
          if (count === 0 && state.get(d.ip) === undefined) continue;
          if (allowT.has(d.ip)) continue;
          const r = state.touch(d.ip, iv.start, () => new DestinationRate(d.ip, w, cfg.baselineAlpha));
          r.observe(iv.start, iv.intervalS, count, d, null, clip);
          const pps = r.pps(now);
          r.firing = count > 0 && pps >= cfg.minPps && pps >= cfg.baselineFactor * r.before;
          if (!r.firing) continue;
          const flood = r.flood.select(now, allowS);
          const nSources = flood.count;
          if (nSources === 0) { r.firing = false; continue; } // every source allow-listed
          report({
            type: 'icmp_flood',
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
              `${d.ip} received ${round(pps, 0)} ICMP packets/s over ${w} s ` +
              `(baseline ${round(r.before, 1)}/s) from ${plural(nSources, 'source')}.`,
            evidence: [
              { metric: 'icmp_packets_per_second', value: round(pps, 1), threshold: cfg.minPps, op: '>=', windowSeconds: w, baseline: round(r.before, 3) },
            ],
          });
        }
        state.expire(now - Math.max(w, 1 / cfg.baselineAlpha) * 4);
      },
    };
  },
};
