import type { TrafficSpikeConfig } from './config';
import { round, ruleId, type RuleDefinition } from './rule';
import { Baseline, WindowSum } from './window';

/**
 * traffic_spike: the sensor's total packet rate over `windowS` is at least `minPps` and
 * `factor` times its moving baseline, once the baseline has `warmupS` of history.
 *
 * Catches: sudden surges of any kind (floods spread over many targets, worm outbreaks, a
 * backup starting on a quiet link), complementing the per-destination rules.
 * Misses: everything in the first `warmupS` of a sensor's traffic (no baseline yet: a
 * capture that starts with the attack shows no spike); slow ramps; surges under `minPps`.
 * Identity: the sensor (one alert per spike); targets/sources list the interval's top hosts.
 */
export const trafficSpikeRule: RuleDefinition<TrafficSpikeConfig> = {
  type: 'traffic_spike',
  version: 1,
  create(cfg, _env, sensor) {
    const rule = ruleId(trafficSpikeRule);
    const w = cfg.windowS;
    const packets = new WindowSum(w);
    const baseline = new Baseline(cfg.baselineAlpha);
    let firing = false;
    return {
      onInterval(iv, report) {
        const g = iv.global;
        if (g === null) return;
        const now = iv.end;
        packets.add(iv.start, g.packets);
        const pps = packets.sum(now) / w;
        const before = baseline.value;
        const warm = baseline.seconds >= cfg.warmupS;
        firing = warm && pps >= cfg.minPps && pps >= cfg.factor * before;
        if (!firing) baseline.update(iv.start, iv.intervalS, g.packets / iv.intervalS, Math.max(cfg.minPps, cfg.factor * before) / 2);
        if (!firing) return;
        report({
          type: 'traffic_spike',
          rule,
          sensor,
          severity: cfg.severity,
          key: { sources: [], targets: [] },
          sources: g.topSources.slice(0, 5).map((h) => h.ip),
          targets: g.topDestinations.slice(0, 5).map((h) => h.ip),
          start: packets.first(now),
          end: now,
          summary:
            `Traffic on sensor ${sensor} rose to ${round(pps, 0)} packets/s over ${w} s, ` +
            `${round(before > 0 ? pps / before : pps, 1)} times its baseline of ${round(before, 1)}/s.`,
          evidence: [
            { metric: 'packets_per_second', value: round(pps, 1), threshold: cfg.minPps, op: '>=', windowSeconds: w, baseline: round(before, 3) },
            { metric: 'ratio_to_baseline', value: round(before > 0 ? pps / before : pps, 2), threshold: cfg.factor, op: '>=', windowSeconds: w },
          ],
        });
      },
    };
  },
};
