import type { PortScanConfig } from './config';
import { CidrSet } from './cidr';
import { plural, round, ruleId, type RuleDefinition } from './rule';
import { IdleMap, WindowDistinct, WindowSum } from './window';

/**
 * port_scan: one source probes many ports of one host.
 *
 * Catches: TCP SYN scans (nmap -sS, masscan), connect scans, UDP scans: at least `minPorts`
 * distinct destination ports of one host probed within `windowS`, of which at most
 * `maxAnsweredRatio` answered (SYN-ACK / UDP reply). Probes are SYNs without ACK and the first
 * packet of UDP/other flows. Fires as soon as the count is reached, not when the probes' flows
 * time out.
 * Misses: scans slower than `minPorts` per `windowS`; scans spread over many source addresses
 * (each stays under the threshold); single-port scans (nmap -p 80 with -A/-sV: a handful of
 * connections to one port look like a client); FIN/NULL/Xmas and ACK scans (no SYN, no new
 * flow per port); scans of a host whose ports mostly answer (a host with every port open).
 * Identity: (scanner, victim); a vertical scan of several hosts gives one alert per host.
 */
export const portScanRule: RuleDefinition<PortScanConfig> = {
  type: 'port_scan',
  version: 1,
  create(cfg, _env, sensor) {
    const rule = ruleId(portScanRule);
    const allowS = new CidrSet(cfg.allowSources);
    const allowT = new CidrSet(cfg.allowTargets);
    const w = cfg.windowS;
    const state = new IdleMap<string, HostWin>();
    class HostWin {
      readonly ports = new WindowDistinct<number>(w);
      readonly probes = new WindowSum(w);
      /** Answered ports and refused probes, made on the first (most pairs of a flood have neither). */
      open: WindowDistinct<number> | null = null;
      failed: WindowSum | null = null;
      constructor(readonly src: string, readonly dst: string) {}
    }

    return {
      onInterval(iv, report) {
        const now = iv.end;
        const touched: HostWin[] = [];
        for (const s of iv.sources) {
          if (s.hosts.items.length === 0 || allowS.has(s.ip)) continue;
          for (const h of s.hosts.items) {
            if (h.ports.n === 0 && h.open.n === 0 && h.failed === 0) continue;
            if (allowT.has(h.ip)) continue;
            const hw = state.touch(`${s.ip}|${h.ip}`, iv.start, () => new HostWin(s.ip, h.ip));
            for (const p of h.ports.items) hw.ports.add(iv.start, p);
            if (!h.ports.exact) hw.ports.addEstimate(iv.start, h.ports.n);
            if (h.open.items.length > 0) {
              const open = (hw.open ??= new WindowDistinct<number>(w));
              for (const p of h.open.items) open.add(iv.start, p);
            }
            hw.probes.add(iv.start, h.probes);
            if (h.failed !== 0) (hw.failed ??= new WindowSum(w)).add(iv.start, h.failed);
            if (h.ports.n > 0) touched.push(hw);
          }
        }
        for (const hw of touched) {
          const n = hw.ports.count(now);
          if (n < cfg.minPorts) continue;
          let answered = 0;
          if (hw.open !== null) for (const p of hw.open.items(now)) if (hw.ports.has(now, p)) answered++;
          const ratio = answered / n;
          if (ratio > cfg.maxAnsweredRatio) continue;
          const failed = hw.failed !== null ? hw.failed.sum(now) : 0;
          report({
            type: 'port_scan',
            rule,
            sensor,
            severity: n >= cfg.highAtPorts ? 'high' : cfg.severity,
            key: { sources: [hw.src], targets: [hw.dst] },
            sources: [hw.src],
            targets: [hw.dst],
            start: hw.probes.first(now),
            end: now,
            summary:
              `${hw.src} probed ${plural(n, 'distinct port')} on ${hw.dst} within ${w} s; ` +
              `${answered} answered, ${plural(failed, 'probe')} refused.`,
            evidence: [
              { metric: 'distinct_dst_ports', value: n, threshold: cfg.minPorts, op: '>=', windowSeconds: w },
              { metric: 'answered_ratio', value: round(ratio), threshold: cfg.maxAnsweredRatio, op: '<=', windowSeconds: w },
              { metric: 'probes', value: hw.probes.sum(now), threshold: cfg.minPorts, op: '>=', windowSeconds: w },
            ],
          });
        }
        state.expire(now - w - iv.intervalS);
      },
    };
  },
};
