import Link from 'next/link';
import { notFound } from 'next/navigation';
import { Suspense } from 'react';
import type { AlertV1 } from '@netsentry/contracts';
import { alertById, flowsForAlert } from '../../../lib/data';
import { AlertId } from '../../../lib/filters';
import { fmtBytes, fmtTime } from '../../../lib/format';
import { Empty, SeverityBadge, Skeleton } from '../../../components/ui';

export const dynamic = 'force-dynamic';

async function RelatedFlows({ alert }: { alert: AlertV1 }) {
  const flows = await flowsForAlert(alert);
  if (!flows.length) return <Empty>No stored flows of these hosts around the alert window.</Empty>;
  return (
    <table data-widget="alert-flows">
      <thead><tr><th>start</th><th>source</th><th>destination</th><th>proto</th><th>state</th><th>packets</th><th>bytes</th></tr></thead>
      <tbody>
        {flows.map((f) => (
          <tr key={f.id}>
            <td>{fmtTime(f.start)}</td><td>{f.srcIp}:{f.srcPort}</td><td>{f.dstIp}:{f.dstPort}</td><td>{f.proto}</td><td>{f.state}</td>
            <td>{f.fwdPackets + f.bwdPackets}</td><td>{fmtBytes(f.fwdBytes + f.bwdBytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default async function AlertPage({ params }: { params: Promise<{ id: string }> }) {
  const id = AlertId.safeParse(decodeURIComponent((await params).id));
  if (!id.success) notFound();
  const a = await alertById(id.data);
  if (!a) notFound();
  return (
    <>
      <p><Link href="/alerts">← alerts</Link></p>
      <h1><SeverityBadge severity={a.severity} /> {a.type.replace('_', ' ')}</h1>
      <section className="card">
        <h2>Summary</h2>
        <p data-field="summary">{a.summary}</p>
        <dl className="kv">
          <dt>window (UTC)</dt><dd>{fmtTime(a.start)} – {fmtTime(a.end)} ({(a.end - a.start).toFixed(1)} s)</dd>
          <dt>sources</dt><dd>{a.sources.join(', ')}{a.sourceCount && a.sourceCount > a.sources.length ? ` (${a.sourceCount} in all)` : ''}</dd>
          <dt>targets</dt><dd>{a.targets.join(', ')}{a.targetCount && a.targetCount > a.targets.length ? ` (${a.targetCount} in all)` : ''}</dd>
          <dt>sensor</dt><dd>{a.sensor}</dd>
          <dt>rule</dt><dd>{a.rule ?? '—'}</dd>
          <dt>id</dt><dd><code>{a.id}</code></dd>
          {a.includes && (
            <>
              <dt>includes</dt>
              <dd data-field="includes">{a.includes.map((t) => t.replace('_', ' ')).join(', ')} (taken into this alert: their peak figures are in the evidence below)</dd>
            </>
          )}
          {a.supersededBy && (
            <>
              <dt>part of</dt>
              <dd data-field="superseded-by">
                <Link href={`/alerts/${encodeURIComponent(a.supersededBy)}`}>{a.supersededBy}</Link> (this alert is closed; that one carries its figures)
              </dd>
            </>
          )}
        </dl>
      </section>
      <section className="card">
        <h2>Evidence</h2>
        <table data-widget="evidence">
          <thead><tr><th>metric</th><th>value</th><th>threshold</th><th>window</th><th>baseline</th></tr></thead>
          <tbody>
            {a.evidence.map((e, i) => (
              <tr key={i}><td>{e.metric}</td><td>{e.value}</td><td>{e.op} {e.threshold}</td><td>{e.windowSeconds} s</td><td>{e.baseline ?? '—'}</td></tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="card">
        <h2>Flows of {a.targets[0] ?? a.sources[0]} around the alert</h2>
        <Suspense fallback={<Skeleton label="flows" lines={5} />}>
          <RelatedFlows alert={a} />
        </Suspense>
      </section>
    </>
  );
}
