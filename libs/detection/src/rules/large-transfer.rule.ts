import type { LargeTransferConfig } from './config';
import { CidrSet } from './cidr';
import { formatBytes, round, ruleId, type RuleDefinition } from './rule';
import { IdleMap, WindowSum } from './window';

/**
 * large_transfer: bytes sent by one host to one destination within `windowS` (60 s) reach
 * `minBytes` (50 MB), or reach `baselineMinBytes` (2 MB) and `baselineFactor` (10) times
 * what that host sent (to anyone) in the previous window — the host's baseline — once the
 * sensor has `warmupS` (60 s) of traffic behind it. Transfers from inside `homeNet` to outside
 * get `severityLeavingHome`.
 *
 * Catches: bulk uploads and downloads, exfiltration (a host that was quiet suddenly sending
 * megabytes), backups, file transfers (FTP data, DCC, HTTP, SMB), measured on the wire in
 * the sending direction.
 * Misses: transfers under `baselineMinBytes` per window, or under `minBytes` from a host that
 * already sent a tenth as much in the previous window (low-and-slow exfiltration, steady
 * senders); data split over many destinations; anything in the sensor's first `warmupS`
 * unless over `minBytes`. Benign large transfers DO fire by design (it is a volume rule):
 * allow-list backup servers and mirrors.
 * Identity: (sender, receiver).
 */
export const largeTransferRule: RuleDefinition<LargeTransferConfig> = {
  type: 'large_transfer',
  version: 2,
  create(cfg, env, sensor) {
    const rule = ruleId(largeTransferRule);
    const allowS = new CidrSet(cfg.allowSources);
    const allowT = new CidrSet(cfg.allowTargets);
    const w = cfg.windowS;
    // Pairs are tracked once an interval carries a thousandth of the smallest threshold: below
    // that a pair cannot matter (at most windowS/intervalS * 0.1% of the threshold is missed).
    const minTrack = Math.min(cfg.minBytes, cfg.baselineMinBytes) / 1000;
    /** Live pairs per source: a source without any skips its small host entries without key text. */
    const pairCount = new Map<string, number>();
    const pairs = new IdleMap<string, { src: string; dst: string; bytes: WindowSum }>((_k, p) => {
      const n = pairCount.get(p.src)! - 1;
      if (n === 0) pairCount.delete(p.src);
      else pairCount.set(p.src, n);
    });
    const newPair = (src: string, dst: string): { src: string; dst: string; bytes: WindowSum } => {
      pairCount.set(src, (pairCount.get(src) ?? 0) + 1);
      return { src, dst, bytes: new WindowSum(w) };
    };
    /** Bytes each source sent over the last two windows (the previous window is the baseline). */
    const senders = new IdleMap<string, WindowSum>();
    let sensorStart = NaN;

    return {
      onInterval(iv, report) {
        const now = iv.end;
        if (Number.isNaN(sensorStart)) sensorStart = iv.start;
        const warm = now - sensorStart >= cfg.warmupS;
        const touched: { src: string; dst: string; bytes: WindowSum; usual: number }[] = [];
        for (const s of iv.sources) {
          if (s.bytes === 0 || allowS.has(s.ip)) continue;
          const snd = senders.touch(s.ip, iv.start, () => new WindowSum(2 * w));
          snd.add(iv.start, s.bytes);
          // What it sent in the window before this one (byte counts are integers: exact).
          const usual = snd.sum(now) - snd.sumSince(now - w);
          const tracked = pairCount.has(s.ip);
          for (const h of s.hosts.items) {
            if (h.bytes < minTrack && !tracked) continue;
            const key = `${s.ip}|${h.ip}`;
            if (h.bytes < minTrack && pairs.get(key) === undefined) continue;
            if (allowT.has(h.ip)) continue;
            const p = pairs.touch(key, iv.start, () => newPair(s.ip, h.ip));
            p.bytes.add(iv.start, h.bytes);
            if (h.bytes > 0) touched.push({ ...p, usual });
          }
        }
        for (const t of touched) {
          const bytes = t.bytes.sum(now);
          const overAbsolute = bytes >= cfg.minBytes;
          const overBaseline = warm && bytes >= cfg.baselineMinBytes && bytes >= cfg.baselineFactor * t.usual;
          if (!overAbsolute && !overBaseline) continue;
          const leaving = env.homeNet.has(t.src) && !env.homeNet.has(t.dst);
          const evidence = overAbsolute
            ? [{ metric: 'bytes', value: bytes, threshold: cfg.minBytes, op: '>=' as const, windowSeconds: w }]
            : [{ metric: 'bytes', value: bytes, threshold: Math.max(cfg.baselineMinBytes, cfg.baselineFactor * t.usual), op: '>=' as const, windowSeconds: w, baseline: t.usual }];
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
              (overAbsolute ? '' : t.usual > 0 ? `, ${round(bytes / t.usual, 1)} times what it sent in the previous ${w} s` : `, after sending nothing in the previous ${w} s`) +
              (leaving ? ', leaving the home network.' : '.'),
            evidence,
          });
        }
        pairs.expire(now - w - iv.intervalS);
        senders.expire(now - 2 * w - iv.intervalS);
      },
    };
  },
};
