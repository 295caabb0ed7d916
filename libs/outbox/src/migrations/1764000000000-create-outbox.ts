import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DEFAULT_OUTBOX_TABLE, outboxTableDdl, quoteIdent } from '@lockstep/core';

/** The outbox table (docs/design.md). For another table name, copy this migration and pass it. */
export class CreateOutbox1764000000000 implements MigrationInterface {
  name = 'CreateOutbox1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(outboxTableDdl(DEFAULT_OUTBOX_TABLE));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS ${quoteIdent(DEFAULT_OUTBOX_TABLE)}`);
  }
}
