import type { SynFloodConfig } from './config';
import { CidrSet } from './cidr';
import { FloodSources } from './flood';
import { plural, round, ruleId, type RuleDefinition } from './rule';
import { IdleMap, WindowDistinct, WindowSum } from './window';

/**
 * syn_flood: many TCP SYNs to one destination that never complete a handshake.
 *
 * Catches: SYN floods with or without spoofed sources (hping3 -S --flood, botnets), including
 * SYNs with ECN/CWR flags: at least `minSyns` SYNs (without ACK) minus completed handshakes
 * within `windowS`, concentrated on few ports (`minSynsPerPort`) or from many sources (`minSources`).
 * Sources are the flood sources (see FloodSources: a sender of at least half an even share of
 * the destination's attack-like packets), so web clients whose SYNs complete are not listed.
 * Misses: floods slower than `minSyns` per `windowS`; a single source flooding a different
 * port with each SYN (it looks like, and is reported as, a port scan); floods of completed
 * connections (connection exhaustion, HTTP floods); SYN-ACK reflection (reported as ddos).
 * While a ddos alert is open on the target, its findings go into that alert instead of one of
 * its own, and an alert of its own already open there is closed as part of it (ddos.rule.ts).
 * Identity: the target (spoofed sources change all the time).
 */
export const synFloodRule: RuleDefinition<SynFloodConfig> = {
  type: 'syn_flood',
  // 3: no alert of its own on a target while a ddos alert is open there (it takes this rule's findings in).
  version: 3,
  create(cfg, _env, sensor) {
    const rule = ruleId(synFloodRule);
    const allowT = new CidrSet(cfg.allowTargets);
    const allowS = new CidrSet(cfg.allowSources);
    const w = cfg.windowS;
    class DstWin {
      readonly syns = new WindowSum(w);
      readonly handshakes = new WindowSum(w);
      readonly ports = new WindowDistinct<number>(w);
      readonly flood = new FloodSources(w);
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
          dw.flood.add(iv.start, d);
          if (d.syns === 0) continue;
          const syns = dw.syns.sum(now);
          const unmatched = syns - dw.handshakes.sum(now);
          if (unmatched < cfg.minSyns) continue;
          const nPorts = Math.max(1, dw.ports.count(now));
          const perPort = syns / nPorts;
          const flood = dw.flood.select(now, allowS);
          const nSources = flood.count;
          if (perPort < cfg.minSynsPerPort && nSources < cfg.minSources) continue;
          if (nSources === 0) continue; // every sender allow-listed
          report({
            type: 'syn_flood',
            rule,
            sensor,
            severity: cfg.severity,
            key: { sources: [], targets: [d.ip] },
            sources: flood.sources,
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
