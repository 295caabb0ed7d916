import type { EntityManager, QueryRunner } from 'typeorm';
import { OutboxNotInTransactionError } from './outbox.errors.js';

/** Where an outbox write goes: the manager of a transaction, or its QueryRunner. */
export type OutboxTarget = EntityManager | QueryRunner;

function isQueryRunner(target: OutboxTarget): target is QueryRunner {
  return typeof (target as QueryRunner).startTransaction === 'function';
}

/**
 * The QueryRunner of the caller's open transaction, or a typed error. A manager without a
 * QueryRunner (`dataSource.manager`) runs every statement in autocommit: refusing it is what
 * keeps an outbox row from ever committing without its domain rows (I1).
 */
export function transactionalQueryRunner(target: OutboxTarget, where: string): QueryRunner {
  const queryRunner = isQueryRunner(target) ? target : target.queryRunner;
  if (!queryRunner || queryRunner.isReleased || !queryRunner.isTransactionActive) {
    throw new OutboxNotInTransactionError(where);
  }
  return queryRunner;
}
