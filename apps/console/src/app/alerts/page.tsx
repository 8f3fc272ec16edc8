import Link from 'next/link';
import { Suspense } from 'react';
import { ALERT_TYPES, SEVERITIES } from '@netsentry/contracts';
import { listAlerts } from '../../lib/data';
import { AlertFilters, parseFilters } from '../../lib/filters';
import { fmtInputTime, fmtTime } from '../../lib/format';
import { Empty, FieldErrors, SeverityBadge, Skeleton } from '../../components/ui';

export const dynamic = 'force-dynamic';

type SP = Promise<Record<string, string | string[] | undefined>>;

async function AlertTable({ filters }: { filters: AlertFilters }) {
  const { alerts: rows, hasMore: more } = await listAlerts(filters);
  if (!rows.length) return <Empty>No alert matches these filters.</Empty>;
  const q = (page: number) => {
    const p = new URLSearchParams();
    for (const k of ['type', 'severity', 'host'] as const) if (filters[k]) p.set(k, String(filters[k]));
    if (filters.from !== undefined) p.set('from', String(filters.from));
    if (filters.to !== undefined) p.set('to', String(filters.to));
    p.set('page', String(page));
    return `/alerts?${p}`;
  };
  return (
    <>
      <table data-widget="alerts">
        <thead>
          <tr><th>severity</th><th>type</th><th>start (UTC)</th><th>sources</th><th>targets</th><th>summary</th></tr>
        </thead>
        <tbody>
          {rows.map((a) => (
            <tr key={a.id}>
              <td><SeverityBadge severity={a.severity} /></td>
              <td>{a.type}{a.includes && <span data-field="includes"> (+ {a.includes.join(', ')})</span>}</td>
              <td>{fmtTime(a.start)}</td>
              <td>{a.sources.slice(0, 3).join(', ')}{(a.sourceCount ?? a.sources.length) > 3 ? ` … (${a.sourceCount ?? a.sources.length})` : ''}</td>
              <td>{a.targets.slice(0, 3).join(', ')}{(a.targetCount ?? a.targets.length) > 3 ? ` … (${a.targetCount ?? a.targets.length})` : ''}</td>
              <td>
                <Link href={`/alerts/${encodeURIComponent(a.id)}`}>{a.summary}</Link>
                {a.supersededBy && <> (part of <Link href={`/alerts/${encodeURIComponent(a.supersededBy)}`}>{a.supersededBy}</Link>)</>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        {filters.page > 1 && <Link href={q(filters.page - 1)}>← newer</Link>} {more && <Link href={q(filters.page + 1)}>older →</Link>}
      </p>
    </>
  );
}

export default async function AlertsPage({ searchParams }: { searchParams: SP }) {
  const { data: filters, errors } = parseFilters(AlertFilters, await searchParams);
  return (
    <>
      <h1>Alerts</h1>
      <section className="card">
        <form className="filters" method="get">
          <label>type
            <select name="type" defaultValue={filters.type ?? ''}>
              <option value="">any</option>
              {ALERT_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
            </select>
          </label>
          <label>severity at least
            <select name="severity" defaultValue={filters.severity ?? ''}>
              <option value="">any</option>
              {SEVERITIES.map((s) => <option key={s} value={s}>{s}</option>)}
            </select>
          </label>
          <label>host<input name="host" placeholder="10.0.0.5" defaultValue={filters.host ?? ''} /></label>
          <label>from (UTC)<input name="from" placeholder="2026-01-01T10:00" defaultValue={fmtInputTime(filters.from)} /></label>
          <label>to (UTC)<input name="to" placeholder="2026-01-01T12:00" defaultValue={fmtInputTime(filters.to)} /></label>
          <button type="submit">Filter</button>
        </form>
        <FieldErrors errors={errors} />
        <Suspense fallback={<Skeleton label="alerts" lines={8} />}>
          <AlertTable filters={filters} />
        </Suspense>
      </section>
    </>
  );
}
