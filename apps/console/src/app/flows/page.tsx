import { Suspense } from 'react';
import { listFlows } from '../../lib/data';
import { FlowFilters, parseFilters } from '../../lib/filters';
import { fmtBytes, fmtTime } from '../../lib/format';
import { Empty, FieldErrors, Skeleton } from '../../components/ui';

export const dynamic = 'force-dynamic';

async function FlowTable({ filters }: { filters: FlowFilters }) {
  const rows = await listFlows(filters);
  if (!rows.length) return <Empty>No flow matches.</Empty>;
  return (
    <table data-widget="flows">
      <thead><tr><th>start (UTC)</th><th>duration</th><th>source</th><th>destination</th><th>proto</th><th>service</th><th>state</th><th>packets →/←</th><th>bytes →/←</th></tr></thead>
      <tbody>
        {rows.map((f) => (
          <tr key={f.id}>
            <td>{fmtTime(f.start)}</td><td>{(f.end - f.start).toFixed(2)} s</td><td>{f.srcIp}:{f.srcPort}</td><td>{f.dstIp}:{f.dstPort}</td>
            <td>{f.proto}</td><td>{f.service}</td><td>{f.state}</td><td>{f.fwdPackets} / {f.bwdPackets}</td><td>{fmtBytes(f.fwdBytes)} / {fmtBytes(f.bwdBytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default async function FlowsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { data: filters, errors } = parseFilters(FlowFilters, await searchParams);
  return (
    <>
      <h1>Flows</h1>
      <section className="card">
        <form className="filters" method="get">
          <label>host<input name="host" placeholder="10.0.0.5" defaultValue={filters.host ?? ''} /></label>
          <label>from (UTC)<input name="from" placeholder="2026-01-01T10:00" /></label>
          <label>to (UTC)<input name="to" placeholder="2026-01-01T12:00" /></label>
          <button type="submit">Search</button>
        </form>
        <FieldErrors errors={errors} />
        <Suspense fallback={<Skeleton label="flows" lines={8} />}>
          <FlowTable filters={filters} />
        </Suspense>
      </section>
    </>
  );
}
