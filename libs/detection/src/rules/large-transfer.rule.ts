import type { LargeTransferConfig } from './config';
import { CidrSet } from './cidr';
import { formatBytes, round, ruleId, type RuleDefinition } from './rule';
import { Baseline, IdleMap, WindowSum } from './window';

/**
 * large_transfer: bytes sent by one host to one destination within `windowS` reach
 * `minBytes`, or reach `baselineMinBytes` and `baselineFactor` times what the source usually
 * sends per window (after `warmupS` of its history). Transfers from inside `homeNet` to
 * outside get `severityLeavingHome`.
 *
 * Catches: bulk uploads and downloads, exfiltration, backups, file transfers (FTP data, DCC,
 * HTTP, SMB), measured on the wire in the sending direction.
 * Misses: transfers slower than `minBytes` per `windowS` (low-and-slow exfiltration); data
 * split over many destinations or many sources; a host whose usual volume is already large
 * (baseline path only). Benign large transfers DO fire by design (it is a volume rule):
 * allow-list backup servers and mirrors.
 * Identity: (sender, receiver).
 */
export const largeTransferRule: RuleDefinition<LargeTransferConfig> = {
  type: 'large_transfer',
  version: 1,
  create(cfg, env, sensor) {
    const rule = ruleId(largeTransferRule);
    const allowS = new CidrSet(cfg.allowSources);
    const allowT = new CidrSet(cfg.allowTargets);
    const w = cfg.windowS;
    // Pairs are tracked once an interval carries a thousandth of the smallest threshold: below
    // that a pair cannot matter (at most windowS/intervalS * 0.1% of the threshold is missed).
    const minTrack = Math.min(cfg.minBytes, cfg.baselineMinBytes) / 1000;
    const pairs = new IdleMap<string, { src: string; dst: string; bytes: WindowSum }>();
    const baselines = new IdleMap<string, Baseline>();

    return {
      onInterval(iv, report) {
        const now = iv.end;
        const touched: { src: string; dst: string; bytes: WindowSum; base: Baseline; before: number }[] = [];
        for (const s of iv.sources) {
          if (s.bytes === 0 || allowS.has(s.ip)) continue;
          const base = baselines.touch(s.ip, iv.start, () => new Baseline(cfg.baselineAlpha));
          const before = base.value;
          const warm = base.seconds >= cfg.warmupS;
          base.update(iv.start, iv.intervalS, s.bytes / iv.intervalS);
          for (const h of s.hosts.items) {
            const key = `${s.ip}|${h.ip}`;
            if (h.bytes < minTrack && pairs.get(key) === undefined) continue;
            if (allowT.has(h.ip)) continue;
            const p = pairs.touch(key, iv.start, () => ({ src: s.ip, dst: h.ip, bytes: new WindowSum(w) }));
            p.bytes.add(iv.start, h.bytes);
            if (h.bytes > 0) touched.push({ ...p, base, before: warm ? before : NaN });
          }
        }
        for (const t of touched) {
          const bytes = t.bytes.sum(now);
          const usual = t.before * w;
          const overAbsolute = bytes >= cfg.minBytes;
          const overBaseline = !Number.isNaN(t.before) && bytes >= cfg.baselineMinBytes && bytes >= cfg.baselineFactor * usual;
          if (!overAbsolute && !overBaseline) continue;
          const leaving = env.homeNet.has(t.src) && !env.homeNet.has(t.dst);
          const evidence = overAbsolute
            ? [{ metric: 'bytes', value: bytes, threshold: cfg.minBytes, op: '>=' as const, windowSeconds: w }]
            : [{ metric: 'bytes', value: bytes, threshold: Math.max(cfg.baselineMinBytes, cfg.baselineFactor * usual), op: '>=' as const, windowSeconds: w, baseline: round(usual, 0) }];
          report({
            type: 'large_transfer',
            rule,
            sensor,
            severity: leaving ? cfg.severityLeavingHome : cfg.severity,
            key: { sources: [t.src], targets: [t.dst] },
            sources: [t.src],
            targets: [t.dst],
            start: t.bytes.first(now),
            end: now,
            summary:
              `${t.src} sent ${formatBytes(bytes)} to ${t.dst} within ${w} s` +
              (overAbsolute ? '' : `, ${round(usual > 0 ? bytes / usual : bytes, 1)} times its usual volume`) +
              (leaving ? ', leaving the home network.' : '.'),
            evidence,
          });
        }
        pairs.expire(now - w - iv.intervalS);
        baselines.expire(now - Math.max(cfg.warmupS, 1 / cfg.baselineAlpha) * 4);
      },
    };
  },
};
