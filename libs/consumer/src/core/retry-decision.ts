/**
 * What to do after applying an event failed. Decided from the error itself (its `retriable`
 * flag, as on LockstepError and kafkajs errors; a driver's connection error code), never from
 * a list of classes, so an error type the consumer has never heard of is handled by what it
 * says about itself.
 */
export type RetryDecision =
  /** The infrastructure failed (Lockstep's own SQL, the connection): the record is not at
   * fault. Wait and try again for as long as it takes; it never counts as an attempt and the
   * record is never dead-lettered for it. */
  | 'wait-for-infrastructure'
  /** The handler failed in a way that may pass: try again after a backoff. */
  | 'retry'
  /** The handler failed for good (`retriable: false`, e.g. DeadLetterError), or used up its
   * attempts: send the event to the dead-letter topic. */
  | 'dead-letter';

/** Where the failure came from: the user's handler, or Lockstep's own work around it. */
export type FailureSource = 'handler' | 'lockstep';

// Driver errors that say "the connection is gone", not "this event is bad": never a reason to
// dead-letter an event, whoever ran the query. mysql2 errors carry no `retriable` of their own.
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'POOL_CLOSED',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
]);

/** True for a MySQL driver error (or a TypeORM error wrapping one) that means the connection is gone. */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null | undefined;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' && CONNECTION_ERROR_CODES.has(code);
}

/** The error's own `retriable` flag, if it has one (LockstepError, kafkajs' KafkaJSError). */
export function retriableOf(error: unknown): boolean | undefined {
  const flag = (error as { retriable?: unknown } | null | undefined)?.retriable;
  return typeof flag === 'boolean' ? flag : undefined;
}

/**
 * @param source  who threw
 * @param error   what was thrown (the handler's own error, not a wrapper)
 * @param attempt the attempt that just failed (1 = first try)
 * @param maxAttempts handler attempts before an event is dead-lettered
 */
export function decideRetry(source: FailureSource, error: unknown, attempt: number, maxAttempts: number): RetryDecision {
  // Lockstep's own store errors are all `retriable: true` (ConsumerStoreError); whatever they
  // say, the record is not at fault and must never be dead-lettered for them.
  if (source === 'lockstep' || isConnectionError(error)) return 'wait-for-infrastructure';
  // `retriable: false` is the error's own word that trying again cannot succeed. Errors without
  // the flag (most handler errors) get the configured attempts.
  if (retriableOf(error) === false) return 'dead-letter';
  return attempt < maxAttempts ? 'retry' : 'dead-letter';
}
