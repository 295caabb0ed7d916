import { LockstepError } from '@lockstep/core';

/**
 * The errors the write side throws on purpose. Each one fails the caller's transaction, so
 * neither the domain rows nor the outbox rows of that transaction are committed (invariant I1).
 * Match on `code`; the message says how to fix the problem.
 */

/** An outbox write was attempted without an open transaction: it would not be atomic. */
export class OutboxNotInTransactionError extends LockstepError {
  constructor(where: string) {
    super(
      'LOCKSTEP_OUTBOX_NOT_IN_TRANSACTION',
      `Lockstep refused to record events outside a transaction (${where}): the events would not be atomic with your domain write.`,
      'wrap the write in `dataSource.transaction(async (manager) => { ... })` (or a QueryRunner with startTransaction()) ' +
        'and use that `manager`; `repository.save()` opens its own transaction, `repository.insert()`/`update()`/QueryBuilder writes do not.',
    );
  }
}

/** One failed class-validator constraint, flattened to a property path (`items.0.sku`). */
export interface OutboxViolation {
  property: string;
  constraints: Record<string, string>;
}

/** An event failed its class-validator rules. */
export class OutboxValidationError extends LockstepError {
  constructor(
    readonly eventType: string,
    readonly violations: OutboxViolation[],
  ) {
    const detail = violations.map((v) => `${v.property}: ${Object.values(v.constraints).join('; ') || 'invalid'}`).join(', ');
    super(
      'LOCKSTEP_OUTBOX_INVALID_EVENT',
      `event ${eventType} is invalid: ${detail}`,
      `fix the fields named above before recording the event (the rules are the class-validator decorators on its class)`,
    );
  }
}

/** The payload cannot become the bytes of the wire contract (not JSON, or too large). */
export class OutboxPayloadError extends LockstepError {
  constructor(
    readonly eventType: string,
    readonly reason: 'unserialisable' | 'too-large' | 'not-an-object',
    message: string,
    hint: string,
    cause?: unknown,
  ) {
    super('LOCKSTEP_OUTBOX_PAYLOAD', `event ${eventType}: ${message}`, hint, { cause });
  }
}

/** A value passed to `record()`/`publish()` is not usable as an event (no `@OutboxEvent`, empty aggregate id ...). */
export class OutboxEventDefinitionError extends LockstepError {
  constructor(message: string, hint: string) {
    super('LOCKSTEP_OUTBOX_EVENT_DEFINITION', message, hint);
  }
}

/** Invalid module/writer options. */
export class OutboxConfigurationError extends LockstepError {
  constructor(message: string, hint: string) {
    super('LOCKSTEP_OUTBOX_CONFIGURATION', message, hint);
  }
}
