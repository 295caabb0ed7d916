import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '@lockstep/core';
import { deadLettersTableDdl, parkedKeysTableDdl } from '../adapters/mysql/consumer-schema.js';
import { DEFAULT_DEAD_LETTERS_TABLE, DEFAULT_PARKED_KEYS_TABLE } from '../core/consumer-tables.js';

/** Consumer failure policy: parked keys (aggregates held behind a dead letter) and the
 * dead-letter markers that let a re-driven event be applied. */
export class CreateConsumerParking1764000000003 implements MigrationInterface {
  name = 'CreateConsumerParking1764000000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(parkedKeysTableDdl(DEFAULT_PARKED_KEYS_TABLE));
    await queryRunner.query(deadLettersTableDdl(DEFAULT_DEAD_LETTERS_TABLE));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS ${quoteIdent(DEFAULT_DEAD_LETTERS_TABLE)}`);
    await queryRunner.query(`DROP TABLE IF EXISTS ${quoteIdent(DEFAULT_PARKED_KEYS_TABLE)}`);
  }
}
