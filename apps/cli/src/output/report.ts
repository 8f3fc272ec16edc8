import type { AlertV1 } from '@netsentry/contracts';
import type { ReportData } from '../analysis';
import { PROTO_CLASSES } from '../traffic';
import { explainFeatures, fmt } from './records';
import { fmtBytes, fmtTime } from './text';

/**
 * report.html: ONE self-contained file. Every chart is inline SVG drawn here (no chart
 * library, no fonts, no images, no network request of any kind); native SVG <title>
 * elements give tooltips; a few lines of inline script make the tables sortable.
 * Each chart carries `data-chart` and `data-points` so a test can check it has data.
 */

const COLORS: Record<string, string> = { tcp: '#3b6fd8', udp: '#e08a1e', icmp: '#2ca05a', arp: '#9b59b6', other: '#7f8c8d' };
const SEV_COLORS: Record<string, string> = { critical: '#b3001b', high: '#e4572e', medium: '#f3a712', low: '#6c8ead' };

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function svgOpen(name: string, points: number, w: number, h: number, label: string): string {
  return `<svg data-chart="${name}" data-points="${points}" viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="${esc(label)}" xmlns="http://www.w3.org/2000/svg">`;
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function shortNum(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(1) + 'G';
  if (a >= 1e6) return (v / 1e6).toFixed(1) + 'M';
  if (a >= 1e3) return (v / 1e3).toFixed(1) + 'k';
  return fmt(v);
}

/** Multi-series line chart over time (one line per protocol class). */
export function timeChart(name: string, label: string, start: number, step: number, series: Record<string, number[]>, unit: string): string {
  const W = 760, H = 240, L = 56, R = 10, T = 16, B = 30;
  const keys = Object.keys(series).filter((k) => series[k].some((v) => v > 0));
  const n = Math.max(0, ...keys.map((k) => series[k].length));
  const max = niceMax(Math.max(0, ...keys.flatMap((k) => series[k])));
  const x = (i: number): number => L + (n <= 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
  const y = (v: number): number => T + (H - T - B) * (1 - v / max);
  let s = svgOpen(name, keys.reduce((a, k) => a + series[k].length, 0), W, H, label);
  for (let g = 0; g <= 4; g++) {
    const v = (max * g) / 4;
    s += `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e6ea"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end" class="ax">${shortNum(v)}</text>`;
  }
  const ticks = Math.min(5, n);
  for (let t = 0; t < ticks; t++) {
    const i = ticks === 1 ? 0 : Math.round((t * (n - 1)) / (ticks - 1));
    const anchor = t === 0 && ticks > 1 ? 'start' : t === ticks - 1 && ticks > 1 ? 'end' : 'middle';
    s += `<text x="${x(i)}" y="${H - 10}" text-anchor="${anchor}" class="ax">${esc(fmtTime(start + i * step).slice(11, 19))}</text>`;
  }
  for (const k of keys) {
    const vals = series[k];
    const pts = vals.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    s += `<polyline fill="none" stroke="${COLORS[k] ?? '#333'}" stroke-width="1.6" points="${pts}"><title>${esc(k)}</title></polyline>`;
    if (n === 1) s += `<circle cx="${x(0)}" cy="${y(vals[0])}" r="3" fill="${COLORS[k] ?? '#333'}"/>`;
  }
  s += `<text x="${W - R}" y="${T - 2}" text-anchor="end" class="ax">${esc(unit)} (bucket ${fmt(step)} s)</text></svg>`;
  return s + legend(keys);
}

function legend(keys: string[]): string {
  return `<div class="legend">${keys.map((k) => `<span><i style="background:${COLORS[k] ?? '#333'}"></i>${esc(k)}</span>`).join('')}</div>`;
}

/** Horizontal bar chart. */
export function barChart(
  name: string,
  label: string,
  bars: Array<{ label: string; value: number; color?: string; text?: string }>,
  W = 760,
  L = 170,
  R = 200,
): string {
  const rowH = 22;
  const H = Math.max(1, bars.length) * rowH + 8;
  const max = Math.max(1e-9, ...bars.map((b) => b.value));
  let s = svgOpen(name, bars.filter((b) => b.value > 0).length, W, H, label);
  bars.forEach((b, i) => {
    const w = ((W - L - R) * b.value) / max;
    const yy = 4 + i * rowH;
    s += `<text x="${L - 8}" y="${yy + 15}" text-anchor="end" class="lb">${esc(b.label)}</text>`;
    s += `<rect x="${L}" y="${yy + 3}" width="${Math.max(b.value > 0 ? 1 : 0, w).toFixed(1)}" height="${rowH - 6}" fill="${b.color ?? '#3b6fd8'}"><title>${esc(b.label)}: ${esc(b.text ?? shortNum(b.value))}</title></rect>`;
    s += `<text x="${L + w + 6}" y="${yy + 15}" class="lb">${esc(b.text ?? shortNum(b.value))}</text>`;
  });
  return s + '</svg>';
}

/** Correlation heatmap, −1 (blue) .. +1 (red). */
export function heatmap(name: string, features: string[], matrix: number[][]): string {
  const n = features.length;
  const cell = 26, L = 190, T = 8;
  const W = L + n * cell + 10, H = T + n * cell + 190;
  let s = svgOpen(name, n * n, W, H, 'feature correlation heatmap');
  const color = (v: number): string => {
    const a = Math.min(1, Math.abs(v));
    const [r, g, b] = v >= 0 ? [214, 39, 40] : [31, 119, 180];
    return `rgb(${Math.round(255 - (255 - r) * a)},${Math.round(255 - (255 - g) * a)},${Math.round(255 - (255 - b) * a)})`;
  };
  for (let i = 0; i < n; i++) {
    s += `<text x="${L - 6}" y="${T + i * cell + cell / 2 + 4}" text-anchor="end" class="lb">${esc(features[i])}</text>`;
    const cx = L + i * cell + cell / 2, cy = T + n * cell + 6;
    s += `<text transform="translate(${cx},${cy}) rotate(60)" class="lb">${esc(features[i])}</text>`;
    for (let j = 0; j < n; j++) {
      const v = matrix[i][j];
      s += `<rect x="${L + j * cell}" y="${T + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="${color(v)}"><title>${esc(features[i])} × ${esc(features[j])}: ${v.toFixed(2)}</title></rect>`;
    }
  }
  return s + '</svg>';
}

/** Alerts on a time axis: one row per alert, a bar from start to end. */
export function alertsTimeline(data: ReportData): string {
  const alerts = data.summary.alerts;
  const range = data.summary.timeRange;
  const W = 760, L = 150, R = 12, rowH = 20;
  const H = Math.max(1, alerts.length) * rowH + 34;
  const t0 = range ? range.start : 0;
  const t1 = range ? Math.max(range.end, t0 + 1e-3) : 1;
  const x = (t: number): number => L + ((W - L - R) * Math.min(1, Math.max(0, (t - t0) / (t1 - t0))));
  let s = svgOpen('alerts-timeline', alerts.length, W, H, 'alerts timeline');
  s += `<line x1="${L}" x2="${W - R}" y1="${H - 24}" y2="${H - 24}" stroke="#999"/>`;
  s += `<text x="${L}" y="${H - 8}" class="ax">${esc(fmtTime(t0).slice(11, 19))}</text><text x="${W - R}" y="${H - 8}" text-anchor="end" class="ax">${esc(fmtTime(t1).slice(11, 19))}</text>`;
  alerts.forEach((a, i) => {
    const yy = 4 + i * rowH;
    const xs = x(a.start);
    const w = Math.max(3, x(a.end) - xs);
    s += `<text x="${L - 8}" y="${yy + 13}" text-anchor="end" class="lb">${esc(a.type)}</text>`;
    s += `<rect x="${xs.toFixed(1)}" y="${yy + 2}" width="${w.toFixed(1)}" height="${rowH - 6}" rx="3" fill="${SEV_COLORS[a.severity]}"><title>${esc(a.severity)} ${esc(a.type)}: ${esc(a.summary)}${a.supersededBy ? ` (part of ${esc(a.supersededBy)})` : ''}</title></rect>`;
  });
  if (!alerts.length) s += `<text x="${(W + L) / 2}" y="16" text-anchor="middle" class="lb">no alerts</text>`;
  return s + '</svg>';
}

function hostCtx(c: ReportData['summary']['anomalySources'][string] | undefined): string {
  if (!c) return '';
  return `${c.uniqueDestinations} destinations, ${c.uniqueDstPorts} ports, ${fmt(c.packetsPerDestination)} packets per destination, ${Math.round(c.failedConnectionRatio * 100)}% failed`;
}

export function renderReport(data: ReportData): string {
  const s = data.summary;
  const t = data.traffic;
  const perS = (arr: number[]): number[] => arr.map((v) => v / t.bucketSeconds);
  const pkts: Record<string, number[]> = {};
  const bytes: Record<string, number[]> = {};
  for (const p of PROTO_CLASSES) {
    pkts[p] = perS(t.packets[p]);
    bytes[p] = perS(t.bytes[p]);
  }
  const protoBars = PROTO_CLASSES.map((p) => ({
    label: p,
    value: s.protocols[p].packets,
    color: COLORS[p],
    text: `${s.protocols[p].packets.toLocaleString('en-US')} pkts, ${fmtBytes(s.protocols[p].bytes)}`,
  }));
  const talkers = s.topTalkers.map((x) => ({
    label: x.host,
    value: x.bytesSent + x.bytesReceived,
    text: `${fmtBytes(x.bytesSent)} out / ${fmtBytes(x.bytesReceived)} in`,
  }));
  const title = `NetSentry report: ${s.inputs.map((i) => i.file.split('/').pop()).join(', ')}`;
  const span = s.timeRange ? `${fmtTime(s.timeRange.start)} – ${fmtTime(s.timeRange.end)} UTC` : 'no packets';
  const card = (k: string, v: string): string => `<div class="card"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div></div>`;
  const model = s.model
    ? `Model <code>${esc(s.model.id)}</code> v${s.model.version}` +
      (s.model.trainedOn ? `, trained on the first part of the input (${s.model.trainedOn.flows} flows, up to ${esc(fmtTime(s.model.trainedOn.untilTs))})` : ', given with --model')
    : esc(s.modelNote ?? 'no model');
  // An alert closed as part of another (a flood the ddos alert on its target took in) says so
  // after its summary, with a link to that alert's row when it is in the table.
  const rowId = (id: string): string => `alert-${encodeURIComponent(id)}`;
  const shown = new Set(s.alerts.map((a) => a.id));
  const partOf = (a: AlertV1): string =>
    a.supersededBy === undefined
      ? ''
      : ` <span class="part">(part of ${shown.has(a.supersededBy) ? `<a href="#${esc(rowId(a.supersededBy))}">${esc(a.supersededBy)}</a>` : esc(a.supersededBy)})</span>`;
  const alertRows = s.alerts
    .map(
      (a) =>
        `<tr id="${esc(rowId(a.id))}"><td><span class="sev ${esc(a.severity)}">${esc(a.severity)}</span></td><td>${esc(a.type)}</td><td>${esc(fmtTime(a.start))}</td><td data-v="${a.end - a.start}">${fmt(a.end - a.start)} s</td>` +
        `<td>${esc(a.sources.slice(0, 5).join(', '))}${(a.sourceCount ?? a.sources.length) > 5 ? ` … (${a.sourceCount ?? a.sources.length})` : ''}</td><td>${esc(a.targets.slice(0, 5).join(', '))}</td><td>${esc(a.summary)}${partOf(a)}</td>` +
        `<td>${a.evidence.map((e) => `${esc(e.metric)} = ${fmt(e.value)} ${esc(e.op)} ${fmt(e.threshold)} in ${fmt(e.windowSeconds)} s`).join('<br>')}</td></tr>`,
    )
    .join('');
  const anomalyRows = s.anomalies
    .slice(0, 200)
    .map(
      (a) =>
        `<tr><td data-v="${a.score}">${a.score.toFixed(3)}</td><td><span class="sev ${esc(a.severity)}">${esc(a.severity)}</span></td><td>${esc(a.srcIp)}:${a.srcPort}</td><td>${esc(a.dstIp)}:${a.dstPort}</td><td>${a.proto}</td><td>${esc(fmtTime(a.start))}</td><td>${esc(hostCtx(s.anomalySources[a.srcIp]))}</td><td>${esc(explainFeatures(a))}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:16px 28px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c5cad3}
main{max-width:1100px;margin:0 auto;padding:18px 28px}
section{background:#fff;border:1px solid #e1e4e8;border-radius:8px;padding:14px 18px;margin:0 0 18px}
h2{font-size:16px;margin:0 0 10px}.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #e1e4e8;border-radius:8px;padding:10px 16px;min-width:120px}.card .k{color:#667;font-size:12px}.card .v{font-size:20px;font-weight:600}
.ax{font-size:11px;fill:#667}.lb{font-size:11px;fill:#333}.legend span{margin-right:14px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
table{border-collapse:collapse;width:100%;font-size:12.5px}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceef1;vertical-align:top}th{cursor:pointer;background:#fafbfc;user-select:none}
.sev{padding:1px 7px;border-radius:9px;color:#fff;font-size:11px}.critical{background:#b3001b}.high{background:#e4572e}.medium{background:#f3a712}.low{background:#6c8ead}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:18px}@media(max-width:900px){.grid{grid-template-columns:1fr}}.note{color:#667;font-size:12px}.part{color:#667}
</style></head><body>
<header><h1>${esc(title)}</h1><p>${esc(span)} · sensor ${esc(s.sensor)} · ${model}</p></header>
<main>
<div class="cards" id="counts">${card('packets', s.counts.packets.toLocaleString('en-US'))}${card('bytes', fmtBytes(s.counts.bytes))}${card('flows', s.counts.flows.toLocaleString('en-US'))}${card('hosts', s.counts.hosts.toLocaleString('en-US'))}${card('alerts', String(s.counts.alerts))}${card('anomalies', String(s.counts.anomalies))}</div>
${s.warnings.length ? `<section><h2>Warnings</h2>${s.warnings.map((w) => `<p>${esc(w)}</p>`).join('')}</section>` : ''}
<section id="traffic"><h2>Traffic over time: packets/s by protocol</h2>${timeChart('packets-per-second', 'packets per second by protocol', t.start, t.bucketSeconds, pkts, 'packets/s')}</section>
<section><h2>Traffic over time: bytes/s by protocol</h2>${timeChart('bytes-per-second', 'bytes per second by protocol', t.start, t.bucketSeconds, bytes, 'bytes/s')}</section>
<div class="grid">
<section><h2>Protocol distribution</h2>${barChart('protocols', 'protocol distribution', protoBars, 480, 60, 170)}</section>
<section><h2>Packet length distribution</h2>${barChart('packet-lengths', 'packet length distribution', data.lengths.map((l) => ({ label: l.bin + ' B', value: l.packets, text: l.packets.toLocaleString('en-US') })), 480, 90, 80)}</section>
</div>
<section><h2>Alerts timeline</h2>${alertsTimeline(data)}</section>
<section><h2>Alerts (${s.alerts.length})</h2>${s.alerts.length ? `<table class="sortable"><thead><tr><th>severity</th><th>type</th><th>start</th><th>duration</th><th>sources</th><th>targets</th><th>summary</th><th>evidence</th></tr></thead><tbody>${alertRows}</tbody></table>` : '<p class="note">No rule fired.</p>'}</section>
<section><h2>Top talkers (bytes sent + received)</h2>${barChart('top-talkers', 'top talkers', talkers, 760, 230, 220)}</section>
<section><h2>Anomalies (${s.counts.anomalies}${s.counts.anomalies > 200 ? ', top 200 by score' : ''})</h2><p class="note">Isolation Forest score 0..1 (higher is more unusual); each row names the features that isolated the flow, with the typical (median) value in the training baseline and their share of the score.</p>
${anomalyRows ? `<table class="sortable" id="anomalies"><thead><tr><th>score</th><th>severity</th><th>source</th><th>destination</th><th>proto</th><th>start</th><th>source host overall</th><th>explanation (top features)</th></tr></thead><tbody>${anomalyRows}</tbody></table>` : '<p class="note">No anomalous flows.</p>'}</section>
<section><h2>Feature correlation (sampled flows)</h2>${data.correlation.features.length ? heatmap('feature-correlation', data.correlation.features, data.correlation.matrix) : '<p class="note">Too few flows for correlations.</p>'}</section>
<p class="note">Generated by netsentry. This file is self-contained: it loads nothing from the network.</p>
</main>
<script>
document.querySelectorAll('table.sortable th').forEach(function (th, i) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0], col = Array.prototype.indexOf.call(th.parentNode.children, th);
    var asc = th.dataset.asc !== '1'; th.dataset.asc = asc ? '1' : '0';
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col], y = b.cells[col];
      var xv = x.dataset.v !== undefined ? parseFloat(x.dataset.v) : x.textContent, yv = y.dataset.v !== undefined ? parseFloat(y.dataset.v) : y.textContent;
      return (xv < yv ? -1 : xv > yv ? 1 : 0) * (asc ? 1 : -1);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
</script>
</body></html>
`;
}
