import type { DdosConfig } from './config';
import { CidrSet } from './cidr';
import { DestinationRate } from './flood';
import { plural, round, ruleId, type RuleDefinition } from './rule';
import { IdleMap } from './window';

/**
 * ddos: a flood to one destination from at least `minSources` distinct sources: every packet
 * counts (any protocol), at `minPps` or more over `windowS` and `baselineFactor` times the
 * destination's moving baseline.
 *
 * Catches: spoofed-source SYN floods, reflection/amplification attacks (DNS, SNMP, SYN-ACK
 * reflection), botnet floods.
 * Misses: floods from fewer sources (reported by the per-protocol flood rules); low-rate
 * application-layer attacks; attacks spread over many targets. A popular server's first
 * seconds (no baseline yet) with 20+ clients over `minPps` would fire: allow-list it or raise
 * `minPps`.
 * Identity: the target.
 */
export const ddosRule: RuleDefinition<DdosConfig> = {
  type: 'ddos',
  version: 1,
  create(cfg, _env, sensor) {
    const rule = ruleId(ddosRule);
    const allowT = new CidrSet(cfg.allowTargets);
    const w = cfg.windowS;
    const state = new IdleMap<string, DestinationRate>();
    return {
      onInterval(iv, report) {
        const now = iv.end;
        for (const d of iv.destinations) {
          if (allowT.has(d.ip)) continue;
          const r = state.touch(d.ip, iv.start, () => new DestinationRate(d.ip, w, cfg.baselineAlpha));
          r.observe(iv.start, iv.intervalS, d.packets, d, null);
          const pps = r.pps(now);
          if (pps < cfg.minPps) { r.firing = false; continue; }
          const nSources = r.sources.count(now);
          r.firing = pps >= cfg.baselineFactor * r.before && nSources >= cfg.minSources;
          if (!r.firing) continue;
          report({
            type: 'ddos',
            rule,
            sensor,
            severity: cfg.severity,
            key: { sources: [], targets: [d.ip] },
            sources: r.sources.items(now).slice(-1000).reverse(),
            targets: [d.ip],
            sourceCount: nSources,
            start: r.packets.first(now),
            end: now,
            summary:
              `${d.ip} received ${round(pps, 0)} packets/s over ${w} s from ${plural(nSources, 'distinct source')} ` +
              `(baseline ${round(r.before, 1)}/s).`,
            evidence: [
              { metric: 'distinct_sources', value: nSources, threshold: cfg.minSources, op: '>=', windowSeconds: w },
              { metric: 'packets_per_second', value: round(pps, 1), threshold: cfg.minPps, op: '>=', windowSeconds: w, baseline: round(r.before, 3) },
            ],
          });
        }
        state.expire(now - Math.max(w, 1 / cfg.baselineAlpha) * 4);
      },
    };
  },
};
