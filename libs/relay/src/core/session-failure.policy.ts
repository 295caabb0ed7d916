/**
 * What the relay does when a publishing session ends with an error. Decided by the error's own
 * fields (`code`, `retriable`, `awaitsOperator`: see relay.errors.ts and LockstepError), never by
 * a list of error classes, so a new error type states its own fate where it is defined.
 */
export type SessionFailure =
  /** A newer relay owns the transactional id: stop for good (state `fenced`). */
  | { kind: 'fenced' }
  /** No retry can fix it (purged binlog, preflight, bad row, invalid topic, refused credentials): stop (state `failed`). */
  | { kind: 'fatal' }
  /** Retrying works once an operator has acted on the hint: retry after a back-off, logged as an error, warning `code`. */
  | { kind: 'awaits-operator'; warning: string }
  /** Anything else, e.g. a Kafka or MySQL client error, or a timeout: ambiguous, so a new session from the last committed checkpoint. */
  | { kind: 'transient' };

export const RELAY_FENCED_CODE = 'LOCKSTEP_RELAY_FENCED';

/** The fields of a Lockstep error that decide a retry; duck-typed, so a second copy of @lockstep/core still matches. */
export interface RetryFacts {
  code: string;
  retriable: boolean;
  awaitsOperator?: boolean;
}

/** True for an error Lockstep raised on purpose (a LockstepError): it carries a stable `code` and says whether it is `retriable`. */
export function isLockstepError(error: unknown): error is Error & RetryFacts {
  if (!(error instanceof Error)) return false;
  const e = error as Error & Partial<RetryFacts>;
  return typeof e.code === 'string' && e.code.startsWith('LOCKSTEP_') && typeof e.retriable === 'boolean';
}

/**
 * Only Lockstep's own errors can be fatal. A client error (kafkajs, mysql2) that is not retriable
 * at the request level, such as kafkajs' KafkaJSNonRetriableError, is still worth a new session
 * with a new producer and connection: the port contract is that a throw never means "maybe
 * committed", and the next session starts again from the committed checkpoint.
 */
export function classifySessionFailure(error: unknown): SessionFailure {
  if (!isLockstepError(error)) return { kind: 'transient' };
  if (error.code === RELAY_FENCED_CODE) return { kind: 'fenced' };
  if (!error.retriable) return { kind: 'fatal' };
  if (error.awaitsOperator === true) return { kind: 'awaits-operator', warning: error.code.replace(/^LOCKSTEP_RELAY_/, '') };
  return { kind: 'transient' };
}

/**
 * A binlog stream that failed: restarted from the checkpoint within the session, unless the error
 * says no retry can help (an outbox row that breaks the wire contract). A purged binlog is
 * recognised by the server's errno before this is asked.
 */
export function isFatalSourceError(error: unknown): boolean {
  return isLockstepError(error) && !error.retriable;
}
