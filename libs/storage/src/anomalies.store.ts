import { severityRank, type AnomalyV1, type Severity } from '@netsentry/contracts';
import type { DataSource } from 'typeorm';
import { AnomalyEntity } from './entities';

/** Rows per INSERT (17 parameters each). */
const ROWS_PER_STATEMENT = 1000;

/** Stores anomalies; ids are deterministic (flow id + model), so redelivery inserts nothing. Returns new rows. */
export async function storeAnomalies(ds: DataSource, anomalies: readonly AnomalyV1[]): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < anomalies.length; i += ROWS_PER_STATEMENT) {
    const part = anomalies.slice(i, i + ROWS_PER_STATEMENT).map((a) => ({
      id: a.id,
      flowId: a.flowId,
      sensor: a.sensor,
      proto: a.proto,
      srcIp: a.srcIp,
      srcPort: a.srcPort,
      dstIp: a.dstIp,
      dstPort: a.dstPort,
      start: a.start,
      end: a.end,
      score: a.score,
      severity: a.severity,
      severityRank: severityRank(a.severity),
      modelId: a.model.id,
      modelVersion: a.model.version,
      topFeatures: a.topFeatures,
    }));
    const r = await ds
      .createQueryBuilder()
      .insert()
      .into(AnomalyEntity)
      .values(part)
      .orIgnore()
      .returning('id')
      .updateEntity(false)
      .execute();
    inserted += (r.raw as unknown[]).length;
  }
  return inserted;
}

function toAnomaly(e: AnomalyEntity): AnomalyV1 {
  return {
    id: e.id,
    flowId: e.flowId,
    sensor: e.sensor,
    proto: e.proto,
    srcIp: e.srcIp,
    srcPort: e.srcPort,
    dstIp: e.dstIp,
    dstPort: e.dstPort,
    start: e.start,
    end: e.end,
    score: e.score,
    severity: e.severity as Severity,
    model: { id: e.modelId, version: e.modelVersion },
    topFeatures: e.topFeatures,
  };
}

export interface AnomalyQuery {
  since?: number;
  until?: number;
  minSeverity?: Severity;
  minScore?: number;
  /** Anomalies where this address is source or destination. */
  host?: string;
  sensor?: string;
  /** Default 100, at most 5000. */
  limit?: number;
  offset?: number;
}

/** Anomalies with filters, newest first. */
export async function findAnomalies(ds: DataSource, q: AnomalyQuery = {}): Promise<AnomalyV1[]> {
  const qb = ds.getRepository(AnomalyEntity).createQueryBuilder('x');
  if (q.since !== undefined) qb.andWhere('x.start_ts >= :since', { since: q.since });
  if (q.until !== undefined) qb.andWhere('x.start_ts < :until', { until: q.until });
  if (q.minSeverity) qb.andWhere('x.severity_rank >= :rank', { rank: severityRank(q.minSeverity) });
  if (q.minScore !== undefined) qb.andWhere('x.score >= :minScore', { minScore: q.minScore });
  if (q.host) qb.andWhere('(x.src_ip = :host OR x.dst_ip = :host)', { host: q.host });
  if (q.sensor) qb.andWhere('x.sensor = :sensor', { sensor: q.sensor });
  qb.orderBy('x.start_ts', 'DESC').addOrderBy('x.id', 'ASC').limit(Math.min(q.limit ?? 100, 5000)).offset(q.offset ?? 0);
  return (await qb.getMany()).map(toAnomaly);
}
