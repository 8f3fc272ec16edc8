import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `alerts.includes` (AlertV1 `includes`): the alert types whose findings an alert took in (a ddos
 * alert: the floods on its target; libs/detection RULES.md). Nullable, no default: existing rows
 * and alerts without the field keep NULL, and adding it rewrites nothing.
 */
export class AlertIncludes1797000000000 implements MigrationInterface {
  name = 'AlertIncludes1797000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE alerts ADD COLUMN includes text[]`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE alerts DROP COLUMN includes`);
  }
}
