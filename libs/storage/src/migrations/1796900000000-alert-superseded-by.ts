import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `alerts.superseded_by` (AlertV1 `supersededBy`): the id of the alert a closed alert became part
 * of (a flood alert on a target whose ddos alert opened later; libs/detection RULES.md). Nullable,
 * no default: existing rows and alerts without the field keep NULL, and adding it rewrites nothing.
 */
export class AlertSupersededBy1796900000000 implements MigrationInterface {
  name = 'AlertSupersededBy1796900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE alerts ADD COLUMN superseded_by text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE alerts DROP COLUMN superseded_by`);
  }
}
