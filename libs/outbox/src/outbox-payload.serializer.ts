import { OutboxPayloadError } from './outbox.errors.js';

/**
 * 4 MiB. A 1 MiB payload passes with room to spare, and a row stays far below MariaDB's
 * default 16 MiB `max_allowed_packet`. Kafka's default `message.max.bytes` is about 1 MiB:
 * raise it (and the topic's `max.message.bytes`) if you let payloads grow near this limit.
 */
export const DEFAULT_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

/**
 * The payload of the wire contract: `JSON.stringify(event)` (the event's own enumerable fields,
 * honouring `toJSON`) as UTF-8. These exact bytes are stored and forwarded to Kafka unchanged.
 * Plain JSON.stringify on purpose: it is what any reader can reproduce, and it rejects what
 * JSON cannot carry (BigInt, cycles) instead of silently dropping it.
 */
export function serializeEventPayload(event: object, eventType: string, maxBytes = DEFAULT_MAX_PAYLOAD_BYTES): Buffer {
  let json: string | undefined;
  try {
    json = JSON.stringify(event);
  } catch (cause) {
    // Never echo the payload itself: only the reason.
    throw new OutboxPayloadError(
      eventType,
      'unserialisable',
      `payload is not serialisable to JSON (${cause instanceof Error ? cause.message : String(cause)})`,
      'use JSON-compatible fields only: strings for big integers and decimals (not BigInt), no cycles',
      cause,
    );
  }
  if (json === undefined || !json.startsWith('{')) {
    throw new OutboxPayloadError(
      eventType,
      'not-an-object',
      'payload must serialise to a JSON object',
      'record an instance of an @OutboxEvent class (a `toJSON` must return an object)',
    );
  }
  const bytes = Buffer.from(json, 'utf8');
  if (bytes.length > maxBytes) {
    throw new OutboxPayloadError(
      eventType,
      'too-large',
      `payload is ${bytes.length} bytes, above the limit of ${maxBytes} bytes`,
      'store large data elsewhere and put a reference in the event, or raise `maxPayloadBytes` (and Kafka `max.message.bytes`)',
    );
  }
  return bytes;
}
