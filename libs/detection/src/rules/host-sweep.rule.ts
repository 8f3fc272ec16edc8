import type { HostSweepConfig } from './config';
import { CidrSet } from './cidr';
import { plural, round, ruleId, type RuleDefinition } from './rule';
import type { EvidenceV1 } from '@netsentry/contracts';
import { IdleMap, WindowDistinct, WindowSum } from './window';

const PROTO_NAME: Record<number, string> = { 1: 'ICMP echo', 58: 'ICMPv6 echo', 6: 'TCP', 17: 'UDP' };

/**
 * host_sweep: one source probes many hosts on the same service.
 *
 * Catches: ping sweeps (ICMP/ICMPv6 echo), TCP SYN and UDP "ping" sweeps of one port, and ARP
 * sweeps on the local segment (nmap host discovery, arp-scan): at least `minHosts` distinct
 * hosts within `windowS` by one method. TCP/UDP and ARP sweeps must be mostly unanswered
 * (`maxAnsweredRatio`): a client talking to many servers on 443, or a server ARPing for the
 * many clients it answers, does not fire.
 * Misses: sweeps slower than `minHosts` per `windowS`; sweeps that change port for every host;
 * sweeps from many source addresses; ARP sweeps seen from another segment (ARP does not cross
 * routers). May fire on a host that ARPs for many addresses that do not exist (a victim
 * answering a spoofed on-link flood), and on monitoring hosts that ping many hosts: put
 * them in `allowSources`.
 * Identity: the scanner; one alert per scanner whatever the methods (targets are the union).
 */
export const hostSweepRule: RuleDefinition<HostSweepConfig> = {
  type: 'host_sweep',
  version: 1,
  create(cfg, _env, sensor) {
    const rule = ruleId(hostSweepRule);
    const allowS = new CidrSet(cfg.allowSources);
    const allowT = new CidrSet(cfg.allowTargets);
    const w = cfg.windowS;
    class MethodWin {
      readonly hosts = new WindowDistinct<string>(w);
      readonly active = new WindowSum(w);
      /** `port`: the TCP/UDP port swept, -1 for ICMP echo (answers not tracked), -2 for ARP. */
      constructor(readonly proto: number, readonly port: number) {}
      /** Text, made only for a report (a spoofed source's method never is). */
      get label(): string {
        if (this.port === -2) return 'ARP requests';
        if (this.port === -1) return PROTO_NAME[this.proto];
        return `${PROTO_NAME[this.proto] ?? `proto ${this.proto}`} port ${this.port}`;
      }
      get metric(): string {
        if (this.port === -2) return 'distinct_hosts_arp';
        if (this.port === -1) return `distinct_hosts_${this.proto === 1 ? 'icmp' : 'icmpv6'}_echo`;
        return `distinct_hosts_${this.proto === 6 ? 'tcp' : this.proto === 17 ? 'udp' : this.proto}_${this.port}`;
      }
    }
    class SourceWin {
      /** Methods by `proto * 65536 + port` (ARP: -1); the first lives inline (a spoofed source has one). */
      private oneKey = NaN;
      private one: MethodWin | null = null;
      private more: Map<number, MethodWin> | null = null;
      /** Hosts that answered, per port (made on the first answer). */
      answered: Map<number, WindowDistinct<string>> | null = null;
      /** Hosts that answered its ARP requests (made on the first). */
      arpAnswered: WindowDistinct<string> | null = null;
      constructor(readonly ip: string) {}
      method(key: number, make: () => MethodWin): MethodWin {
        if (this.more === null) {
          if (this.oneKey === key) return this.one!;
          if (this.one === null) { this.oneKey = key; return (this.one = make()); }
          this.more = new Map([[this.oneKey, this.one]]);
        }
        let m = this.more.get(key);
        if (m === undefined) { m = make(); this.more.set(key, m); }
        return m;
      }
      /** Methods in the order first used. */
      methods(): MethodWin[] {
        return this.more !== null ? [...this.more.values()] : this.one !== null ? [this.one] : [];
      }
    }
    const state = new IdleMap<string, SourceWin>();

    return {
      onInterval(iv, report) {
        const now = iv.end;
        const touched: SourceWin[] = [];
        for (const s of iv.sources) {
          if (allowS.has(s.ip)) continue;
          const arp = cfg.arp && s.arpTargets.n > 0;
          // Answers alone (the probes were in an earlier interval) matter only to a source already tracked.
          if (s.services.items.length === 0 && !arp && (s.arpReplies?.n ?? 0) === 0 && state.get(s.ip) === undefined) continue;
          const sw = state.touch(s.ip, iv.start, () => new SourceWin(s.ip));
          let fresh = false;
          for (const svc of s.services.items) {
            const icmp = svc.proto === 1 || svc.proto === 58;
            if (icmp && !cfg.icmpEcho) continue;
            const m = sw.method(svc.proto * 65536 + svc.port, () => new MethodWin(svc.proto, icmp ? -1 : svc.port));
            for (const h of svc.hosts.items) if (!allowT.has(h)) m.hosts.add(iv.start, h);
            if (!svc.hosts.exact) m.hosts.addEstimate(iv.start, svc.hosts.n);
            m.active.add(iv.start, 1);
            fresh = true;
          }
          if (s.arpReplies !== undefined && s.arpReplies.items.length > 0) {
            const a = (sw.arpAnswered ??= new WindowDistinct<string>(w));
            for (const h of s.arpReplies.items) a.add(iv.start, h);
          }
          if (arp) {
            const m = sw.method(-1, () => new MethodWin(0, -2));
            for (const h of s.arpTargets.items) if (!allowT.has(h)) m.hosts.add(iv.start, h);
            if (!s.arpTargets.exact) m.hosts.addEstimate(iv.start, s.arpTargets.n);
            m.active.add(iv.start, 1);
            fresh = true;
          }
          for (const h of s.hosts.items) {
            for (const p of h.open.items) {
              const answered = (sw.answered ??= new Map());
              let a = answered.get(p);
              if (a === undefined) { a = new WindowDistinct<string>(w); answered.set(p, a); }
              a.add(iv.start, h.ip);
            }
          }
          if (fresh) touched.push(sw);
        }

        for (const sw of touched) {
          const hits: { m: MethodWin; n: number; evidence: EvidenceV1[] }[] = [];
          for (const m of sw.methods()) {
            const n = m.hosts.count(now);
            if (n < cfg.minHosts) continue;
            const evidence: EvidenceV1[] = [{ metric: m.metric, value: n, threshold: cfg.minHosts, op: '>=', windowSeconds: w }];
            if (m.port >= 0 || m.port === -2) {
              const a = m.port === -2 ? sw.arpAnswered : sw.answered?.get(m.port);
              let answered = 0;
              if (a !== undefined && a !== null) for (const h of m.hosts.items(now)) if (a.has(now, h)) answered++;
              const ratio = answered / n;
              if (ratio > cfg.maxAnsweredRatio) continue;
              evidence.push({ metric: `${m.metric}_answered_ratio`, value: round(ratio), threshold: cfg.maxAnsweredRatio, op: '<=', windowSeconds: w });
            }
            hits.push({ m, n, evidence });
          }
          if (hits.length === 0) continue;
          hits.sort((a, b) => b.n - a.n || (a.m.metric < b.m.metric ? -1 : 1));
          const targets = new Set<string>();
          for (const h of hits) for (const t of h.m.hosts.items(now)) targets.add(t);
          const top = hits[0].n;
          let start = Infinity;
          for (const h of hits) start = Math.min(start, h.m.active.first(now));
          report({
            type: 'host_sweep',
            rule,
            sensor,
            severity: top >= cfg.highAtHosts ? 'high' : cfg.severity,
            key: { sources: [sw.ip], targets: [] },
            sources: [sw.ip],
            targets: [...targets].sort(),
            targetCount: Math.max(targets.size, top),
            start,
            end: now,
            summary:
              `${sw.ip} swept ${plural(Math.max(targets.size, top), 'host')} within ${w} s: ` +
              hits.map((h) => `${h.m.label} to ${plural(h.n, 'host')}`).join(', ') + '.',
            evidence: hits.flatMap((h) => h.evidence),
          });
        }
        state.expire(now - w - iv.intervalS);
      },
    };
  },
};
