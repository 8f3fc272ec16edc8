import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One finished flow (FlowV1). Written by COPY (flows.store.ts), so the entity is for reads and
 * schema checks. Times are epoch seconds (double precision keeps the microseconds of FlowV1 exactly).
 */
@Entity({ name: 'flows' })
// The primary key is (start_ts, id) (migration FlowsTimeKey1796800000000): it serves the time
// queries too, so there is no index on start_ts alone.
@Index('flows_src_start_idx', ['srcIp', 'start'])
@Index('flows_dst_start_idx', ['dstIp', 'start'])
// BRIN (migration FlowFeaturesBytea1796700000000), which TypeORM cannot declare: left to the migration.
@Index('flows_stored_brin', { synchronize: false })
export class FlowEntity {
  /** FlowV1.id: deterministic (it hashes the start), so a redelivered flow is the same row. */
  @PrimaryColumn({ type: 'text', collation: 'C' }) id!: string;
  @Column({ type: 'text' }) sensor!: string;
  @Column({ type: 'smallint' }) proto!: number;
  @Column({ name: 'src_ip', type: 'inet' }) srcIp!: string;
  @Column({ name: 'src_port', type: 'integer' }) srcPort!: number;
  @Column({ name: 'dst_ip', type: 'inet' }) dstIp!: string;
  @Column({ name: 'dst_port', type: 'integer' }) dstPort!: number;
  @Column({ type: 'smallint' }) vlan!: number;
  @Column({ name: 'vlan_inner', type: 'smallint' }) vlanInner!: number;
  /** The key's first part: flows arrive roughly in start order, so inserts append to the btree. */
  @PrimaryColumn({ name: 'start_ts', type: 'double precision' }) start!: number;
  @Column({ name: 'end_ts', type: 'double precision' }) end!: number;
  @Column({ name: 'end_reason', type: 'text' }) endReason!: string;
  @Column({ type: 'text' }) state!: string;
  @Column({ type: 'text' }) service!: string;
  @Column({ name: 'fwd_packets', type: 'bigint' }) fwdPackets!: string;
  @Column({ name: 'bwd_packets', type: 'bigint' }) bwdPackets!: string;
  @Column({ name: 'fwd_bytes', type: 'bigint' }) fwdBytes!: string;
  @Column({ name: 'bwd_bytes', type: 'bigint' }) bwdBytes!: string;
  /** Which list of feature names `features` follows (feature_sets.id; 1 = FLOW_FEATURE_NAMES). */
  @Column({ name: 'feature_set', type: 'smallint' }) featureSet!: number;
  /**
   * The feature values in the order of feature set `featureSet`, as a packed block (exact, zeros
   * and small integers in few bytes: feature-block.ts; finite, as FlowV1 allows nothing else).
   * Decode with `featuresRecord` / `featureValues`.
   */
  @Column({ type: 'bytea' }) features!: Buffer;
  /** Wall-clock time the row was stored (retention runs on it). */
  @Column({ name: 'stored_at', type: 'timestamptz', default: () => 'now()' }) storedAt!: Date;
}
