import type { TrafficPoint } from '../lib/data';
import { fmtTime } from '../lib/format';

const SERIES = [
  { key: 'tcp', color: '#3b6fd8' },
  { key: 'udp', color: '#e08a1e' },
  { key: 'icmp', color: '#2ca05a' },
  { key: 'other', color: '#7f8c8d' },
] as const;

/** Packets per interval by protocol, as inline SVG (server-rendered; no chart library). */
export function TrafficChart({ points }: { points: TrafficPoint[] }) {
  const W = 760, H = 200, L = 50, R = 8, T = 10, B = 24;
  if (!points.length) return <p className="empty">No traffic statistics stored yet.</p>;
  const max = Math.max(1, ...points.flatMap((p) => SERIES.map((s) => p[s.key])));
  const x = (i: number) => L + (points.length <= 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (points.length - 1));
  const y = (v: number) => T + (H - T - B) * (1 - v / max);
  return (
    <figure>
      <svg data-chart="traffic" data-points={points.length} viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label="packets per interval by protocol">
        <line x1={L} x2={W - R} y1={y(0)} y2={y(0)} stroke="#ccc" />
        <text x={L - 4} y={y(max) + 4} textAnchor="end" className="ax">{max}</text>
        <text x={L} y={H - 6} className="ax">{fmtTime(points[0].t).slice(11)}</text>
        <text x={W - R} y={H - 6} textAnchor="end" className="ax">{fmtTime(points[points.length - 1].t).slice(11)}</text>
        {SERIES.map((s) => (
          <polyline key={s.key} fill="none" stroke={s.color} strokeWidth={1.5} points={points.map((p, i) => `${x(i).toFixed(1)},${y(p[s.key]).toFixed(1)}`).join(' ')}>
            <title>{s.key}</title>
          </polyline>
        ))}
      </svg>
      <figcaption className="legend">
        {SERIES.map((s) => (
          <span key={s.key}>
            <i style={{ background: s.color }} />
            {s.key}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
