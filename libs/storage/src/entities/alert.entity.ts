import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { EvidenceV1 } from '@netsentry/contracts';

/** An alert (AlertV1); one row per attack, updated while it lasts (alerts.store.ts upserts). */
@Entity({ name: 'alerts' })
@Index('alerts_end_idx', ['end'])
@Index('alerts_type_end_idx', ['type', 'end'])
@Index('alerts_severity_end_idx', ['severityRank', 'end'])
@Index('alerts_sources_gin', ['sources'])
@Index('alerts_targets_gin', ['targets'])
@Index('alerts_updated_idx', ['updatedAt'])
export class AlertEntity {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ type: 'text' }) type!: string;
  @Column({ type: 'text' }) severity!: string;
  /** 4 critical .. 1 low, for "at or above" filters. */
  @Column({ name: 'severity_rank', type: 'smallint' }) severityRank!: number;
  @Column({ type: 'text', array: true }) sources!: string[];
  @Column({ type: 'text', array: true }) targets!: string[];
  @Column({ name: 'source_count', type: 'integer', nullable: true }) sourceCount!: number | null;
  @Column({ name: 'target_count', type: 'integer', nullable: true }) targetCount!: number | null;
  @Column({ name: 'start_ts', type: 'double precision' }) start!: number;
  @Column({ name: 'end_ts', type: 'double precision' }) end!: number;
  @Column({ type: 'text' }) summary!: string;
  @Column({ type: 'jsonb' }) evidence!: EvidenceV1[];
  @Column({ type: 'text', nullable: true }) rule!: string | null;
  @Column({ type: 'text' }) sensor!: string;
  /** Id of the alert this one became part of (AlertV1 `supersededBy`); NULL for every other alert. */
  @Column({ name: 'superseded_by', type: 'text', nullable: true }) supersededBy!: string | null;
  /** Alert types this one took in (AlertV1 `includes`); NULL when none. */
  @Column({ type: 'text', array: true, nullable: true }) includes!: string[] | null;
  /** Wall-clock times of the first store and the last update. */
  @Column({ name: 'stored_at', type: 'timestamptz', default: () => 'now()' }) storedAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt!: Date;
  /** How many times an updated version of the alert was stored. */
  @Column({ type: 'integer', default: 0 }) revisions!: number;
}
