import Link from 'next/link';
import { Suspense } from 'react';
import { SEVERITIES } from '@netsentry/contracts';
import { alertCounts, listAlerts, sensors, trafficSeries } from '../lib/data';
import { fmtTime } from '../lib/format';
import { SeverityBadge, Skeleton } from '../components/ui';
import { TrafficChart } from '../components/traffic-chart';

export const dynamic = 'force-dynamic';

async function AlertsBySeverity() {
  const c = await alertCounts();
  return (
    <div className="counts" data-widget="alerts-by-severity">
      {SEVERITIES.map((s) => (
        <Link key={s} href={`/alerts?severity=${s}`} className="count">
          <div className="v">{c.bySeverity[s]}</div>
          <SeverityBadge severity={s} />
        </Link>
      ))}
      <div className="count">
        <div className="v">{c.total}</div>all alerts
      </div>
    </div>
  );
}

async function RecentAlerts() {
  const alerts = (await listAlerts({ page: 1 })).alerts.slice(0, 8);
  if (!alerts.length) return <p className="empty">No alerts yet.</p>;
  return (
    <table>
      <tbody>
        {alerts.map((a) => (
          <tr key={a.id}>
            <td><SeverityBadge severity={a.severity} /></td>
            <td>{fmtTime(a.start)}</td>
            <td><Link href={`/alerts/${encodeURIComponent(a.id)}`}>{a.summary}</Link></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

async function Traffic() {
  return <TrafficChart points={await trafficSeries()} />;
}

async function SensorsStatus() {
  const list = await sensors();
  if (!list.length) return <p className="empty">No sensor has reported yet.</p>;
  const now = Date.now() / 1000;
  return (
    <table data-widget="sensors">
      <tbody>
        {list.map((s) => {
          const age = now - s.heartbeat.sentAt;
          const ok = age < 30 && (s.heartbeat.status === 'capturing' || s.heartbeat.status === 'replaying');
          return (
            <tr key={s.heartbeat.sensor}>
              <td>{s.heartbeat.sensor}</td>
              <td className={ok ? 'status-ok' : 'status-bad'}>{s.heartbeat.status}{age >= 30 ? ` (silent ${Math.round(age)} s)` : ''}</td>
              <td>{s.heartbeat.counters.packetsSeen.toLocaleString('en-US')} packets</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export default function Overview() {
  return (
    <>
      <h1>Overview</h1>
      <section className="card">
        <h2>Alerts by severity</h2>
        <Suspense fallback={<Skeleton label="alert counts" lines={1} />}>
          <AlertsBySeverity />
        </Suspense>
      </section>
      <section className="card">
        <h2>Traffic (packets per interval by protocol)</h2>
        <Suspense fallback={<Skeleton label="traffic" lines={5} />}>
          <Traffic />
        </Suspense>
      </section>
      <div className="grid">
        <section className="card">
          <h2>Latest alerts</h2>
          <Suspense fallback={<Skeleton label="latest alerts" />}>
            <RecentAlerts />
          </Suspense>
        </section>
        <section className="card">
          <h2>Sensors</h2>
          <Suspense fallback={<Skeleton label="sensors" />}>
            <SensorsStatus />
          </Suspense>
        </section>
      </div>
    </>
  );
}
