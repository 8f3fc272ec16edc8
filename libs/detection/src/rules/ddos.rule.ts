import type { DdosConfig } from './config';
import { CidrSet } from './cidr';
import { DestinationRate } from './flood';
import { plural, round, ruleId, type RuleDefinition } from './rule';
import { IdleMap, WindowDistinct, WindowSum } from './window';

/**
 * ddos: one destination flooded from many sources. Two ways to fire, both needing the
 * destination's packet rate over `windowS` (10 s) at `minPps` (100) or more and at least
 * `baselineFactor` (10) times its moving baseline:
 *  - many sources: at least `minSources` (20) flood sources (as for the flood rules, see
 *    FloodSources: senders of at least half an even share of its attack-like packets). When
 *    attack-like packets are under ATTACK_LIKE_SHARE of what it received (SYN-ACK reflection:
 *    answers to SYNs it never sent are not attack-like, and the statistics count no other
 *    packets per source), every distinct sender counts;
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
 * Evidence: packets per second first (the figure an update's peak is judged by), then the
 * source count that crossed. Identity: the target.
 * One incident, one alert: the SYN/UDP/ICMP flood rules see the same attack per protocol; while a
 * ddos alert is open on a target it takes in their findings there (their peak figure is appended
 * to its evidence and summary, and they extend it), and a flood alert opened on it before the
 * ddos threshold was crossed is closed with `supersededBy` = this alert's id (RULES.md).
 */
/**
 * The many-sources path counts flood sources when at least this share of the destination's
 * packets in the window are attack-like (spoofed SYN floods, SNMP amplification: over 90 %; DNS
 * amplification with fragments: about 40 %), else every distinct sender (SYN-ACK reflection: 2 %).
 */
export const ATTACK_LIKE_SHARE = 0.25;

export const ddosRule: RuleDefinition<DdosConfig> = {
  type: 'ddos',
  // 4: takes in the flood alerts of its target (absorbs).
  version: 4,
  absorbs: ['syn_flood', 'udp_flood', 'icmp_flood'],
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
      /** Every sender (for floods of packets that are not attack-like, see the rule comment). */
      readonly senders = new WindowDistinct<string>(w);
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
          for (const s of d.sources.items) st.senders.add(iv.start, s);
          if (!d.sources.exact) st.senders.addEstimate(iv.start, d.sources.n);
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
          const heavy: string[] = [];
          let heavyTotal = 0;
          for (const [ip, ws] of st.attackers) {
            const n = ws.sum(now);
            if (n === 0) { st.attackers.delete(ip); continue; }
            if (n >= heavyPackets) { heavy.push(ip); heavyTotal += n; }
          }
          heavy.sort();
          const heavyPps = heavyTotal / w;
          r.firing = pps >= cfg.baselineFactor * r.before;
          if (!r.firing) continue;
          // Flood sources when attack-like packets are a real part of the flood, else every sender.
          const attackLike = r.flood.packets.sum(now) >= ATTACK_LIKE_SHARE * r.packets.sum(now);
          let manySources: string[];
          let nSources: number;
          if (attackLike) {
            const flood = r.flood.select(now, allowS);
            manySources = flood.sources;
            nSources = flood.count;
          } else {
            const all = st.senders.items(now);
            manySources = [];
            let allowed = 0;
            for (let i = all.length - 1; i >= 0; i--) {
              if (allowS.has(all[i])) allowed++;
              else if (manySources.length < 1000) manySources.push(all[i]); // newest first
            }
            nSources = st.senders.count(now) - allowed;
          }
          const many = nSources >= cfg.minSources;
          const few = heavy.length >= cfg.minAttackSources && heavyPps >= cfg.minPps;
          r.firing = many || few;
          if (!r.firing) continue;
          const sources = many ? manySources : heavy;
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
              ? `${d.ip} received ${round(pps, 0)} packets/s over ${w} s from ${plural(nSources, attackLike ? 'flooding source' : 'distinct source')} (baseline ${round(r.before, 1)}/s).`
              : `${d.ip} received ${round(pps, 0)} packets/s over ${w} s, ${round(heavyPps, 0)}/s of them attack packets from ${plural(heavy.length, 'source')} sending at least ${cfg.minSourcePps}/s each (baseline ${round(r.before, 1)}/s).`,
            evidence: [
              { metric: 'packets_per_second', value: round(pps, 1), threshold: cfg.minPps, op: '>=', windowSeconds: w, baseline: round(r.before, 3) },
              many
                ? { metric: 'distinct_sources', value: nSources, threshold: cfg.minSources, op: '>=', windowSeconds: w }
                : { metric: 'attack_sources', value: heavy.length, threshold: cfg.minAttackSources, op: '>=', windowSeconds: w },
            ],
          });
        }
        state.expire(now - Math.max(w, 1 / cfg.baselineAlpha) * 4);
      },
    };
  },
};
