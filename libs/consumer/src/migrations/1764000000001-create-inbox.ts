import type { MigrationInterface, QueryRunner } from 'typeorm';
import {
  consumerOffsetsTableDdl,
  DEFAULT_CONSUMER_OFFSETS_TABLE,
  DEFAULT_INBOX_TABLE,
  inboxTableDdl,
  quoteIdent,
} from '@lockstep/core';

/** Consumer side: the inbox (dedup) and the offsets stored with the read model. */
export class CreateInbox1764000000001 implements MigrationInterface {
  name = 'CreateInbox1764000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(inboxTableDdl(DEFAULT_INBOX_TABLE));
    await queryRunner.query(consumerOffsetsTableDdl(DEFAULT_CONSUMER_OFFSETS_TABLE));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS ${quoteIdent(DEFAULT_CONSUMER_OFFSETS_TABLE)}`);
    await queryRunner.query(`DROP TABLE IF EXISTS ${quoteIdent(DEFAULT_INBOX_TABLE)}`);
  }
}
