import { sensors } from '../../lib/data';
import { fmtTime } from '../../lib/format';
import { Empty } from '../../components/ui';

export const dynamic = 'force-dynamic';

export default async function SensorsPage() {
  const list = await sensors();
  return (
    <>
      <h1>Sensors</h1>
      <section className="card">
        {list.length === 0 ? (
          <Empty>No sensor has sent a heartbeat yet.</Empty>
        ) : (
          <table data-widget="sensors">
            <thead><tr><th>sensor</th><th>status</th><th>source</th><th>last heartbeat (UTC)</th><th>seen</th><th>kernel drops</th><th>malformed</th><th>published</th><th>publish errors</th><th>message</th></tr></thead>
            <tbody>
              {list.map(({ heartbeat: h }) => (
                <tr key={h.sensor}>
                  <td>{h.sensor}</td><td>{h.status}</td><td>{h.source}</td><td>{fmtTime(h.sentAt)}</td>
                  <td>{h.counters.packetsSeen}</td><td>{h.counters.kernelDropped}</td><td>{h.counters.malformed}</td>
                  <td>{h.counters.published}</td><td>{h.counters.publishErrors}</td><td>{h.message ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
