import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { TopFeatureV1 } from '@netsentry/contracts';

/** A flow the model found unusual (AnomalyV1). */
@Entity({ name: 'anomalies' })
@Index('anomalies_start_idx', ['start'])
@Index('anomalies_severity_start_idx', ['severityRank', 'start'])
@Index('anomalies_src_start_idx', ['srcIp', 'start'])
@Index('anomalies_dst_start_idx', ['dstIp', 'start'])
@Index('anomalies_stored_idx', ['storedAt'])
export class AnomalyEntity {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ name: 'flow_id', type: 'text' }) flowId!: string;
  @Column({ type: 'text' }) sensor!: string;
  @Column({ type: 'smallint' }) proto!: number;
  @Column({ name: 'src_ip', type: 'inet' }) srcIp!: string;
  @Column({ name: 'src_port', type: 'integer' }) srcPort!: number;
  @Column({ name: 'dst_ip', type: 'inet' }) dstIp!: string;
  @Column({ name: 'dst_port', type: 'integer' }) dstPort!: number;
  @Column({ name: 'start_ts', type: 'double precision' }) start!: number;
  @Column({ name: 'end_ts', type: 'double precision' }) end!: number;
  @Column({ type: 'double precision' }) score!: number;
  @Column({ type: 'text' }) severity!: string;
  @Column({ name: 'severity_rank', type: 'smallint' }) severityRank!: number;
  @Column({ name: 'model_id', type: 'text' }) modelId!: string;
  @Column({ name: 'model_version', type: 'integer' }) modelVersion!: number;
  @Column({ name: 'top_features', type: 'jsonb' }) topFeatures!: TopFeatureV1[];
  @Column({ name: 'stored_at', type: 'timestamptz', default: () => 'now()' }) storedAt!: Date;
}
