import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Merged statistics of one entity over one interval (StatsV1), one row per
 * (sensor, interval start, entity kind, entity key); a later merge of the same key replaces it.
 */
@Entity({ name: 'stats' })
@Index('stats_kind_key_start_idx', ['entityKind', 'entityKey', 'intervalStart'])
@Index('stats_start_idx', ['intervalStart'])
@Index('stats_stored_idx', ['storedAt'])
export class StatsEntity {
  @PrimaryColumn({ type: 'text' }) sensor!: string;
  /** Interval start, epoch seconds (packet time). */
  @PrimaryColumn({ name: 'interval_start', type: 'double precision' }) intervalStart!: number;
  /** `global`, `source` or `destination`. */
  @PrimaryColumn({ name: 'entity_kind', type: 'text' }) entityKind!: string;
  /** `global` for the whole sensor, else the entity's IP address. */
  @PrimaryColumn({ name: 'entity_key', type: 'text' }) entityKey!: string;
  @Column({ name: 'interval_s', type: 'double precision' }) intervalS!: number;
  /** Aggregator instances merged into this row, joined by `+`. */
  @Column({ type: 'text' }) instance!: string;
  /** The StatsV1 `entity` object. */
  @Column({ type: 'jsonb' }) payload!: Record<string, unknown>;
  @Column({ name: 'stored_at', type: 'timestamptz', default: () => 'now()' }) storedAt!: Date;
}
