import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One list of flow feature names, stored once: flows.features holds the values in this order and
 * flows.feature_set names the list. Set 1 is libs/flows FLOW_FEATURE_NAMES (see the
 * FlowFeaturesArray migration); another list gets the next id when first stored.
 */
@Entity({ name: 'feature_sets' })
@Index('feature_sets_names_uq', ['names'], { unique: true })
export class FeatureSetEntity {
  @PrimaryGeneratedColumn('increment', { type: 'smallint' }) id!: number;
  @Column({ type: 'text', array: true }) names!: string[];
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
}
