import type { PortScanConfig } from './config';
import { CidrSet } from './cidr';
import { plural, round, ruleId, type RuleDefinition } from './rule';
import { IdleMap, WindowDistinct, WindowSum } from './window';

/**
 * Upper end of a bottom-k estimate `n` from a sample of `k`: n / (1 - 3 / sqrt(k - 2)) (the
 * estimate's relative standard error is about 1 / sqrt(k - 2)); no bound under k = 12.
 */
function estimateUpper(n: number, k: number): number {
  const rse = k > 11 ? 3 / Math.sqrt(k - 2) : 1;
  return rse < 1 ? Math.ceil(n / (1 - rse)) : Infinity;
}

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
 * Figures: the distinct ports are exact while each interval's port set of the pair fits the
 * statistics' sample (128 ports per interval by default); past it they are an estimate (about
 * ±9 % at 128), shown as "about N", and severity is judged on the estimate's upper end: the
 * probes sent (each port needs one) or the estimate plus three standard errors, whichever is
 * smaller, so a scan of 1000 ports in one second is high even when the estimate says 895.
 * Identity: (scanner, victim); a vertical scan of several hosts gives one alert per host.
 */
export const portScanRule: RuleDefinition<PortScanConfig> = {
  type: 'port_scan',
  version: 2,
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
      /** Sample size of the pair's per-interval port sets (for the estimate's upper end). */
      k = 0;
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
            if (!h.ports.exact) {
              hw.ports.addEstimate(iv.start, h.ports.n);
              hw.k = h.ports.k;
            }
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
          const estimated = hw.ports.estimated(now);
          let answered = 0;
          // Answered ports are probed ports; with a sample of the probed ports, all of them count.
          if (hw.open !== null) for (const p of hw.open.items(now)) if (estimated || hw.ports.has(now, p)) answered++;
          answered = Math.min(answered, n);
          const ratio = answered / n;
          if (ratio > cfg.maxAnsweredRatio) continue;
          const failed = hw.failed !== null ? hw.failed.sum(now) : 0;
          const probes = hw.probes.sum(now);
          // What severity is judged on: the exact count, or the upper end of the estimate.
          const upper = estimated ? Math.max(n, Math.min(probes, estimateUpper(n, hw.k))) : n;
          const ports = estimated ? `about ${n} distinct ports (estimated from a sample, up to ${upper})` : plural(n, 'distinct port');
          report({
            type: 'port_scan',
            rule,
            sensor,
            severity: upper >= cfg.highAtPorts ? 'high' : cfg.severity,
            key: { sources: [hw.src], targets: [hw.dst] },
            sources: [hw.src],
            targets: [hw.dst],
            start: hw.probes.first(now),
            end: now,
            summary:
              `${hw.src} probed ${ports} on ${hw.dst} within ${w} s with ${plural(probes, 'probe')}; ` +
              `${answered} answered, ${failed} refused.`,
            evidence: [
              { metric: 'distinct_dst_ports', value: n, threshold: cfg.minPorts, op: '>=', windowSeconds: w },
              { metric: 'answered_ratio', value: round(ratio), threshold: cfg.maxAnsweredRatio, op: '<=', windowSeconds: w },
              { metric: 'probes', value: probes, threshold: cfg.minPorts, op: '>=', windowSeconds: w },
              ...(estimated ? [{ metric: 'distinct_dst_ports_upper', value: upper, threshold: cfg.highAtPorts, op: '>=' as const, windowSeconds: w }] : []),
            ],
          });
        }
        state.expire(now - w - iv.intervalS);
      },
    };
  },
};
