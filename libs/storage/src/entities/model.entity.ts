import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A trained anomaly model; at most one active per sensor group (partial unique index). */
@Entity({ name: 'models' })
@Index('models_group_version_uq', ['sensorGroup', 'version'], { unique: true })
@Index('models_one_active_per_group', ['sensorGroup'], { unique: true, where: 'active' })
export class ModelEntity {
  @PrimaryColumn({ type: 'text' }) id!: string;
  /** 1, 2, ... per sensor group. */
  @Column({ type: 'integer' }) version!: number;
  @Column({ name: 'sensor_group', type: 'text' }) sensorGroup!: string;
  @Column({ type: 'boolean', default: false }) active!: boolean;
  /** Training parameters (trees, sample size, seed, contamination...). */
  @Column({ type: 'jsonb' }) params!: Record<string, unknown>;
  /** Per-feature statistics of the training data (percentiles, medians). */
  @Column({ name: 'feature_stats', type: 'jsonb' }) featureStats!: Record<string, unknown>;
  /** Quality summary (score distribution, flagged fraction...). */
  @Column({ type: 'jsonb' }) quality!: Record<string, unknown>;
  /** The serialised model (libs/detection format). */
  @Column({ type: 'bytea' }) blob!: Buffer;
  /** Training window in packet time, epoch seconds. */
  @Column({ name: 'train_start', type: 'double precision' }) trainStart!: number;
  @Column({ name: 'train_end', type: 'double precision' }) trainEnd!: number;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true }) activatedAt!: Date | null;
}
