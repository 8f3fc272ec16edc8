import type { SynFloodConfig } from './config';
import { CidrSet } from './cidr';
import { plural, round, ruleId, type RuleDefinition } from './rule';
import { IdleMap, WindowDistinct, WindowSum } from './window';

/**
 * syn_flood: many TCP SYNs to one destination that never complete a handshake.
 *
 * Catches: SYN floods with or without spoofed sources (hping3 -S --flood, botnets), including
 * SYNs with ECN/CWR flags: at least `minSyns` SYNs (without ACK) minus completed handshakes
 * within `windowS`, concentrated on few ports (`minSynsPerPort`) or from many sources (`minSources`).
 * Misses: floods slower than `minSyns` per `windowS`; a single source flooding a different
 * port with each SYN (it looks like, and is reported as, a port scan); floods of completed
 * connections (connection exhaustion, HTTP floods); SYN-ACK reflection (reported as ddos).
 * Identity: the target (spoofed sources change all the time).
 */
export const synFloodRule: RuleDefinition<SynFloodConfig> = {
  type: 'syn_flood',
  version: 1,
  create(cfg, _env, sensor) {
    const rule = ruleId(synFloodRule);
    const allowT = new CidrSet(cfg.allowTargets);
    const allowS = new CidrSet(cfg.allowSources);
    const w = cfg.windowS;
    class DstWin {
      readonly syns = new WindowSum(w);
      readonly handshakes = new WindowSum(w);
      readonly ports = new WindowDistinct<number>(w);
      readonly sources = new WindowDistinct<string>(w);
      constructor(readonly ip: string) {}
    }
    const state = new IdleMap<string, DstWin>();

    return {
      onInterval(iv, report) {
        const now = iv.end;
        for (const d of iv.destinations) {
          if (d.syns === 0 && d.handshakes === 0 && state.get(d.ip) === undefined) continue;
          if (allowT.has(d.ip)) continue;
          const dw = state.touch(d.ip, iv.start, () => new DstWin(d.ip));
          dw.syns.add(iv.start, d.syns);
          dw.handshakes.add(iv.start, d.handshakes);
          for (const p of d.synPorts.items) dw.ports.add(iv.start, p);
          if (!d.synPorts.exact) dw.ports.addEstimate(iv.start, d.synPorts.n);
          if (d.syns > 0) {
            for (const s of d.sources.items) if (!allowS.has(s)) dw.sources.add(iv.start, s);
            if (!d.sources.exact) dw.sources.addEstimate(iv.start, d.sources.n);
          }
          if (d.syns === 0) continue;
          const syns = dw.syns.sum(now);
          const unmatched = syns - dw.handshakes.sum(now);
          if (unmatched < cfg.minSyns) continue;
          const nPorts = Math.max(1, dw.ports.count(now));
          const perPort = syns / nPorts;
          const nSources = dw.sources.count(now);
          if (perPort < cfg.minSynsPerPort && nSources < cfg.minSources) continue;
          if (nSources === 0) continue; // every sender allow-listed
          const sources = dw.sources.items(now);
          report({
            type: 'syn_flood',
            rule,
            sensor,
            severity: cfg.severity,
            key: { sources: [], targets: [d.ip] },
            sources: sources.slice(-1000).reverse(),
            targets: [d.ip],
            sourceCount: nSources,
            start: dw.syns.first(now),
            end: now,
            summary:
              `${d.ip} received ${unmatched} TCP SYNs without a completed handshake within ${w} s ` +
              `from ${plural(nSources, 'source')} to ${plural(nPorts, 'port')}.`,
            evidence: [
              { metric: 'syns_without_handshake', value: unmatched, threshold: cfg.minSyns, op: '>=', windowSeconds: w },
              { metric: 'syns_per_port', value: round(perPort, 1), threshold: cfg.minSynsPerPort, op: '>=', windowSeconds: w },
              { metric: 'distinct_sources', value: nSources, threshold: cfg.minSources, op: '>=', windowSeconds: w },
            ],
          });
        }
        state.expire(now - w - iv.intervalS);
      },
    };
  },
};
