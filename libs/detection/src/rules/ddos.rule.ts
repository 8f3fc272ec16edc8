import type { DdosConfig } from './config';
import { CidrSet } from './cidr';
import { DestinationRate } from './flood';
import { plural, round, ruleId, type RuleDefinition } from './rule';
import { IdleMap, WindowSum } from './window';

/**
 * ddos: one destination flooded from many sources. Two ways to fire, both needing the
 * destination's packet rate over `windowS` (10 s) at `minPps` (100) or more and at least
 * `baselineFactor` (10) times its moving baseline:
 *  - many sources: at least `minSources` (20) distinct sources sent to it (any packets);
 *  - a few heavy attackers: at least `minAttackSources` (3) sources each sent attack-like
 *    packets (SYNs without ACK, UDP not on a flow the destination opened, ICMP other than
 *    answers) at `minSourcePps` (50) or more, together `minPps` or more.
 *
 * Catches: spoofed-source SYN floods, reflection/amplification attacks (DNS, SNMP, SYN-ACK
 * reflection), botnet floods, a handful of bots flooding with SYN/UDP/ICMP.
 * Misses: floods from fewer sources than both paths need (the per-protocol flood rules report
 * those); low-rate application-layer attacks (completed connections do not count as attack
 * packets); attacks spread over many targets. A popular server (20+ clients over `minPps`)
 * fires in its first seconds after the detector starts: allow-list it or raise `minPps`.
 * Identity: the target.
 */
export const ddosRule: RuleDefinition<DdosConfig> = {
  type: 'ddos',
  version: 2,
  create(cfg, _env, sensor) {
    const rule = ruleId(ddosRule);
    const allowT = new CidrSet(cfg.allowTargets);
    const allowS = new CidrSet(cfg.allowSources);
    const w = cfg.windowS;
    const clip = (b: number): number => Math.max(cfg.minPps, cfg.baselineFactor * b) / 2;
    const heavyPackets = cfg.minSourcePps * w;
    // A source is tracked once it sends a tenth of the heavy rate in one interval.
    const trackFrom = Math.max(1, Math.floor(cfg.minSourcePps / 10));
    class DstState {
      readonly rate: DestinationRate;
      readonly attackers = new Map<string, WindowSum>();
      constructor(ip: string) {
        this.rate = new DestinationRate(ip, w, cfg.baselineAlpha);
      }
    }
    const state = new IdleMap<string, DstState>();
    return {
      onInterval(iv, report) {
        const now = iv.end;
        for (const d of iv.destinations) {
          if (allowT.has(d.ip)) continue;
          const st = state.touch(d.ip, iv.start, () => new DstState(d.ip));
          const r = st.rate;
          r.observe(iv.start, iv.intervalS, d.packets, d, null, clip);
          for (const a of d.attackers?.items ?? []) {
            let ws = st.attackers.get(a.ip);
            if (ws === undefined) {
              if (a.packets < trackFrom || allowS.has(a.ip)) continue;
              ws = new WindowSum(w);
              st.attackers.set(a.ip, ws);
            }
            ws.add(iv.start, a.packets);
          }
          const pps = r.pps(now);
          if (pps < cfg.minPps) { r.firing = false; continue; }
          const nSources = r.sources.count(now);
          const heavy: string[] = [];
          let heavyTotal = 0;
          for (const [ip, ws] of st.attackers) {
            const n = ws.sum(now);
            if (n === 0) { st.attackers.delete(ip); continue; }
            if (n >= heavyPackets) { heavy.push(ip); heavyTotal += n; }
          }
          heavy.sort();
          const heavyPps = heavyTotal / w;
          const many = nSources >= cfg.minSources;
          const few = heavy.length >= cfg.minAttackSources && heavyPps >= cfg.minPps;
          r.firing = pps >= cfg.baselineFactor * r.before && (many || few);
          if (!r.firing) continue;
          const sources = many ? r.sources.items(now).slice(-1000).reverse() : heavy;
          const count = many ? nSources : heavy.length;
          report({
            type: 'ddos',
            rule,
            sensor,
            severity: cfg.severity,
            key: { sources: [], targets: [d.ip] },
            sources,
            targets: [d.ip],
            sourceCount: count,
            start: r.packets.first(now),
            end: now,
            summary: many
              ? `${d.ip} received ${round(pps, 0)} packets/s over ${w} s from ${plural(nSources, 'distinct source')} (baseline ${round(r.before, 1)}/s).`
              : `${d.ip} received ${round(pps, 0)} packets/s over ${w} s, ${round(heavyPps, 0)}/s of them attack packets from ${plural(heavy.length, 'source')} sending at least ${cfg.minSourcePps}/s each (baseline ${round(r.before, 1)}/s).`,
            evidence: [
              many
                ? { metric: 'distinct_sources', value: nSources, threshold: cfg.minSources, op: '>=', windowSeconds: w }
                : { metric: 'attack_sources', value: heavy.length, threshold: cfg.minAttackSources, op: '>=', windowSeconds: w },
              { metric: 'packets_per_second', value: round(pps, 1), threshold: cfg.minPps, op: '>=', windowSeconds: w, baseline: round(r.before, 3) },
            ],
          });
        }
        state.expire(now - Math.max(w, 1 / cfg.baselineAlpha) * 4);
      },
    };
  },
};
