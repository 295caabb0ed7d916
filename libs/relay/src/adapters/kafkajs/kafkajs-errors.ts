/**
 * What a kafkajs error means for the relay. kafkajs nests its errors (KafkaJSNumberOfRetriesExceeded
 * wraps the protocol error in `originalError`/`cause`), so every check looks through the chain.
 * Request-level retry reads kafkajs' own `retriable` (see isRetriableKafkaError).
 */

const FENCING_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);
const FENCING_CODES = new Set([47, 90]);
const TOO_LARGE_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);
const TOO_LARGE_CODES = new Set([10, 18]);

/** True when the error, or anything it wraps (kafkajs nests them), is a Kafka protocol error of one of these types/codes. */
function hasKafkaError(error: unknown, types: Set<string>, codes: Set<number>, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 8) return false;
  const e = error as { type?: unknown; code?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
  if (typeof e.type === 'string' && types.has(e.type)) return true;
  if (typeof e.code === 'number' && codes.has(e.code) && typeof e.type === 'string') return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => hasKafkaError(x, types, codes, depth + 1))) return true;
  return hasKafkaError(e.cause, types, codes, depth + 1) || hasKafkaError(e.originalError, types, codes, depth + 1);
}

const AUTH_TYPES = new Set(['SASL_AUTHENTICATION_FAILED']);
const AUTH_CODES = new Set([58]);

/** True when the broker refused our SASL credentials. */
export function isAuthenticationError(error: unknown): boolean {
  return (
    (error as { name?: unknown } | null)?.name === 'KafkaJSSASLAuthenticationError' ||
    hasKafkaError(error, AUTH_TYPES, AUTH_CODES)
  );
}

/** True when the error says a newer producer owns our transactional id. */
export function isFencingError(error: unknown): boolean {
  return hasKafkaError(error, FENCING_TYPES, FENCING_CODES);
}

/** True when Kafka refused a record (or a batch) as larger than the topic/broker accepts. */
export function isTooLargeError(error: unknown): boolean {
  return hasKafkaError(error, TOO_LARGE_TYPES, TOO_LARGE_CODES);
}

const CONNECTION_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSBrokerNotFound',
]);

/**
 * True when repeating the request may succeed: kafkajs gave up on an error it calls retriable
 * (it wraps those in KafkaJSNumberOfRetriesExceeded) or could not reach a broker. Fencing, a
 * record too large and refused credentials never are.
 */
export function isRetriableKafkaError(error: unknown): boolean {
  if (isFencingError(error) || isTooLargeError(error) || isAuthenticationError(error)) return false;
  const e = error as { name?: unknown; retriable?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  return (
    e.name === 'KafkaJSNumberOfRetriesExceeded' ||
    e.retriable === true ||
    (typeof e.name === 'string' && CONNECTION_ERRORS.has(e.name))
  );
}

/** The innermost Kafka error type (e.g. NOT_LEADER_OR_FOLLOWER) or client error name, for reports. */
export function kafkaErrorReason(error: unknown, depth = 0): string {
  const e = error as { type?: unknown; name?: unknown; cause?: unknown; originalError?: unknown } | null;
  if (!e || typeof e !== 'object') return String(error);
  const inner = e.originalError ?? e.cause;
  if (depth < 8 && inner && inner !== e) {
    const deeper = kafkaErrorReason(inner, depth + 1);
    if (deeper !== 'Error') return deeper;
  }
  if (typeof e.type === 'string') return e.type;
  return typeof e.name === 'string' ? e.name : 'Error';
}
