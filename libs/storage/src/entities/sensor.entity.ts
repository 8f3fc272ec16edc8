import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Latest heartbeat of each sensor (SensorHeartbeatV1). */
@Entity({ name: 'sensors' })
export class SensorEntity {
  @PrimaryColumn({ type: 'text' }) sensor!: string;
  @Column({ type: 'text' }) status!: string;
  /** Heartbeat `sentAt`, epoch seconds (wall clock of the sensor). */
  @Column({ name: 'sent_at', type: 'double precision' }) sentAt!: number;
  /** The whole heartbeat message. */
  @Column({ type: 'jsonb' }) heartbeat!: Record<string, unknown>;
  @Column({ name: 'first_seen', type: 'timestamptz', default: () => 'now()' }) firstSeen!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt!: Date;
}
