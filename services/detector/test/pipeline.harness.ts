import { join } from 'node:path';
import { Client } from 'pg';
import type { AlertV1 } from '@netsentry/contracts';
import { startService, type ServiceProcess } from '@netsentry/messaging';
import { kafkaBrokers, testKafka, uniqueName } from '@netsentry/testing';

/** The Kafka pipeline as real processes: sensors → aggregators → detectors → PostgreSQL. */
export interface PipelineEnv {
  suffix: string;
  dbUrl: string;
  aggGroup: string;
  detGroup: string;
  extra?: Record<string, string>;
}

/** A pipeline on topics with `suffix` and database `dbUrl`, with fresh consumer groups. */
export function pipelineEnv(suffix: string, dbUrl: string, extra?: Record<string, string>): PipelineEnv {
  return { suffix, dbUrl, aggGroup: uniqueName('agg'), detGroup: uniqueName('det'), extra };
}

function env(p: PipelineEnv): Record<string, string> {
  return {
    KAFKA_BROKERS: kafkaBrokers().join(','),
    NETSENTRY_TOPIC_SUFFIX: p.suffix,
    DATABASE_URL: p.dbUrl,
    AGGREGATOR_GROUP_ID: p.aggGroup,
    DETECTOR_GROUP_ID: p.detGroup,
    PACKETS_PARTITIONS: '4',
    FLOWS_PARTITIONS: '4',
    STATS_PARTITIONS: '4',
    AGGREGATOR_LOG_EVERY_MS: '1000',
    DETECTOR_LOG_EVERY_MS: '1000',
    ...p.extra,
  };
}

/** Waits for the service's start line; a service that did not start is killed (no caller holds it yet). */
async function started(s: ServiceProcess): Promise<void> {
  try {
    await s.waitFor(/"event":"started"/, 60000);
  } catch (e) {
    await s.stop('SIGKILL');
    throw e;
  }
}

export async function startAggregator(p: PipelineEnv, instance: string): Promise<ServiceProcess> {
  const s = startService('aggregator', [], { ...env(p), AGGREGATOR_INSTANCE_ID: instance });
  await started(s);
  return s;
}

export async function startDetector(p: PipelineEnv, instance: string): Promise<ServiceProcess> {
  const s = startService('detector', [], { ...env(p), DETECTOR_INSTANCE_ID: instance });
  await started(s);
  return s;
}

export function replay(p: PipelineEnv, sensor: string, file: string, pace = 'max'): ServiceProcess {
  return startService('sensor', ['--replay', file, '--sensor-id', sensor, '--pace', pace], env(p));
}

/** Waits until the consumer group is stable with `members` members, each holding partitions. */
export async function waitForGroup(group: string, members: number, timeoutMs: number): Promise<void> {
  const admin = testKafka('pipeline-harness').admin();
  await admin.connect();
  try {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const g = (await admin.describeGroups([group])).groups[0];
      if (g && g.state === 'Stable' && g.members.length === members && g.members.every((m) => m.memberAssignment.length > 0)) return;
      if (Date.now() > until) throw new Error(`group ${group}: ${g?.members.length ?? 0} members, state ${g?.state} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Waits until every detector reported that all of `sensor`'s input is stored. */
export async function waitSensorEnd(detectors: ServiceProcess[], sensor: string, timeoutMs: number): Promise<void> {
  const re = new RegExp(`"event":"sensor_end","sensor":"${sensor.replace(/[.]/g, '\\.')}"`);
  await Promise.all(detectors.map((d) => d.waitFor(re, timeoutMs)));
}

export interface Stored {
  /** flow id → "fwdPackets/bwdPackets/fwdBytes/bwdBytes" */
  flows: Map<string, string>;
  /** alert id → "type|sources|targets|start|end|severity|supersededBy|includes" */
  alerts: Map<string, string>;
  alertList: AlertV1[];
}

/** What two runs must agree on for one alert; supersededBy and includes are empty when absent. */
export function alertDigest(a: Pick<AlertV1, 'type' | 'sources' | 'targets' | 'start' | 'end' | 'severity' | 'supersededBy' | 'includes'>): string {
  return [a.type, [...a.sources].sort().join(' '), [...a.targets].sort().join(' '), a.start, a.end, a.severity, a.supersededBy ?? '', (a.includes ?? []).join(' ')].join('|');
}

/** Reads what the detector stored. */
export async function readStored(dbUrl: string, sensor?: string): Promise<Stored> {
  const c = new Client({ connectionString: dbUrl });
  await c.connect();
  try {
    const where = sensor ? 'WHERE sensor = $1' : '';
    const args = sensor ? [sensor] : [];
    const f = await c.query<{ id: string; fp: string; bp: string; fb: string; bb: string }>(
      `SELECT id, fwd_packets AS fp, bwd_packets AS bp, fwd_bytes AS fb, bwd_bytes AS bb FROM flows ${where}`,
      args,
    );
    const a = await c.query<{ id: string }>(`SELECT id FROM alerts ${where}`, args);
    const flows = new Map<string, string>();
    for (const r of f.rows) flows.set(r.id, `${r.fp}/${r.bp}/${r.fb}/${r.bb}`);
    const { openDataSource, getAlert } = await import('@netsentry/storage');
    const ds = await openDataSource({ url: dbUrl, poolSize: 1 });
    const alertList: AlertV1[] = [];
    try {
      for (const r of a.rows) {
        const x = await getAlert(ds, r.id);
        if (x) alertList.push(x);
      }
    } finally {
      await ds.destroy();
    }
    const alerts = new Map<string, string>();
    for (const x of alertList) alerts.set(x.id, alertDigest(x));
    return { flows, alerts, alertList };
  } finally {
    await c.end();
  }
}

export const pcap = (dir: string, rel: string): string => join(dir, rel);
