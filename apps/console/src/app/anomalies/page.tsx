import { Suspense } from 'react';
import { SEVERITIES } from '@netsentry/contracts';
import { listAnomalies } from '../../lib/data';
import { AnomalyFilters, parseFilters } from '../../lib/filters';
import { fmtTime } from '../../lib/format';
import { Empty, FieldErrors, SeverityBadge, Skeleton } from '../../components/ui';

export const dynamic = 'force-dynamic';

async function AnomalyTable({ filters }: { filters: AnomalyFilters }) {
  const rows = await listAnomalies(filters);
  if (!rows.length) return <Empty>No anomaly matches these filters.</Empty>;
  return (
    <table data-widget="anomalies">
      <thead><tr><th>score</th><th>severity</th><th>start (UTC)</th><th>source</th><th>destination</th><th>proto</th><th>top features (value / typical)</th></tr></thead>
      <tbody>
        {rows.map((a) => (
          <tr key={a.id}>
            <td>{a.score.toFixed(3)}</td>
            <td><SeverityBadge severity={a.severity} /></td>
            <td>{fmtTime(a.start)}</td>
            <td>{a.srcIp}:{a.srcPort}</td>
            <td>{a.dstIp}:{a.dstPort}</td>
            <td>{a.proto}</td>
            <td>{a.topFeatures.slice(0, 4).map((t) => `${t.name} ${+t.value.toFixed(2)} / ${+t.baseline.toFixed(2)} (${Math.round(t.contribution * 100)}%)`).join('; ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default async function AnomaliesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { data: filters, errors } = parseFilters(AnomalyFilters, await searchParams);
  return (
    <>
      <h1>Anomalies</h1>
      <section className="card">
        <form className="filters" method="get">
          <label>host<input name="host" defaultValue={filters.host ?? ''} /></label>
          <label>severity at least
            <select name="severity" defaultValue={filters.severity ?? ''}>
              <option value="">any</option>
              {SEVERITIES.map((s) => <option key={s} value={s}>{s}</option>)}
            </select>
          </label>
          <label>min score<input name="minScore" defaultValue={filters.minScore ?? ''} placeholder="0.6" /></label>
          <button type="submit">Filter</button>
        </form>
        <FieldErrors errors={errors} />
        <Suspense fallback={<Skeleton label="anomalies" lines={8} />}>
          <AnomalyTable filters={filters} />
        </Suspense>
      </section>
    </>
  );
}
