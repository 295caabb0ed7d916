import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DEFAULT_RELAY_CHECKPOINT_TABLE, quoteIdent, relayCheckpointTableDdl } from '@lockstep/core';

/** The relay's informational checkpoint mirror (read by retention and `lockstep status`). */
export class CreateRelayCheckpoint1764000000002 implements MigrationInterface {
  name = 'CreateRelayCheckpoint1764000000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(relayCheckpointTableDdl(DEFAULT_RELAY_CHECKPOINT_TABLE));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS ${quoteIdent(DEFAULT_RELAY_CHECKPOINT_TABLE)}`);
  }
}
