import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { LockstepHeader, uuidToBytes } from '@lockstep/core';
import type { ConsumedRecord, EventClass } from './consumed-record.js';
import { safeJsonParse } from './safe-json.js';

export type { ConsumedRecord } from './consumed-record.js';

/** Why a record went to the dead-letter topic. Stable values: match on them. */
export type DeadLetterReason =
  | 'invalid-envelope'
  | 'oversize'
  | 'malformed-json'
  | 'forbidden-key'
  | 'not-an-object'
  | 'validation-failed'
  | 'unknown-type'
  | 'handler-failed'
  | 'parked-behind';

/** The envelope fields every outcome needs (parsed from headers, never from the payload). */
export interface RecordEnvelope {
  record: ConsumedRecord;
  eventId: string | undefined;
  eventIdBytes: Buffer | undefined;
  eventType: string | undefined;
  key: string | null;
  aggregateId: string;
  occurredAt: Date | undefined;
}

/** The envelope of a record that decoded to an event: id and type are known. */
export type EventEnvelope = RecordEnvelope & { eventId: string; eventIdBytes: Buffer; eventType: string };

export type DecodedRecord =
  | { kind: 'event'; envelope: EventEnvelope; event: object }
  | { kind: 'unknown-type'; envelope: RecordEnvelope }
  | { kind: 'reject'; envelope: RecordEnvelope; reason: DeadLetterReason; message: string };

export interface DecoderOptions {
  maxPayloadBytes: number;
  /** Event class by event type, from the registered handlers. */
  classFor: (type: string) => EventClass | undefined;
}

export function readEnvelope(record: ConsumedRecord): RecordEnvelope {
  const h = record.headers;
  const key = record.key ? record.key.toString('utf8') : null;
  let eventIdBytes: Buffer | undefined;
  const rawId = h[LockstepHeader.id];
  if (rawId) {
    try {
      eventIdBytes = uuidToBytes(rawId);
    } catch {
      eventIdBytes = undefined;
    }
  }
  const occurred = h[LockstepHeader.occurredAt] ? new Date(h[LockstepHeader.occurredAt]) : undefined;
  return {
    record,
    eventId: eventIdBytes ? rawId : undefined,
    eventIdBytes,
    eventType: h[LockstepHeader.type] || undefined,
    key,
    aggregateId: h[LockstepHeader.aggregateId] ?? key ?? '',
    occurredAt: occurred && !Number.isNaN(occurred.getTime()) ? occurred : undefined,
  };
}

/** Property paths and constraint names only: values may be personal data and never leave. */
export function summarizeValidationErrors(errors: ValidationError[], parent = ''): string[] {
  const out: string[] = [];
  for (const e of errors) {
    const path = parent ? `${parent}.${e.property}` : e.property;
    if (e.constraints) out.push(`${path}: ${Object.keys(e.constraints).join(', ')}`);
    if (e.children?.length) out.push(...summarizeValidationErrors(e.children, path));
  }
  return out;
}

/**
 * Envelope → size cap → type lookup → safe JSON → class instance → validation. Each step that
 * fails yields a reason instead of throwing, so a bad record is dead-lettered, never a crash.
 */
export async function decodeRecord(record: ConsumedRecord, options: DecoderOptions): Promise<DecodedRecord> {
  const envelope = readEnvelope(record);
  if (!envelope.eventIdBytes || !envelope.eventType) {
    return {
      kind: 'reject',
      envelope,
      reason: 'invalid-envelope',
      message: `missing or invalid ${LockstepHeader.id} / ${LockstepHeader.type} header`,
    };
  }
  const eventClass = options.classFor(envelope.eventType);
  if (!eventClass) return { kind: 'unknown-type', envelope };
  const size = record.value?.length ?? 0;
  if (size > options.maxPayloadBytes) {
    return {
      kind: 'reject',
      envelope,
      reason: 'oversize',
      message: `payload is ${size} bytes, the limit is ${options.maxPayloadBytes}`,
    };
  }
  if (!record.value) return { kind: 'reject', envelope, reason: 'not-an-object', message: 'record has no value' };
  const parsed = safeJsonParse(record.value);
  if (!parsed.ok) return { kind: 'reject', envelope, reason: parsed.reason, message: parsed.message };
  let event: object;
  try {
    event = plainToInstance(eventClass, parsed.value);
  } catch (error) {
    return {
      kind: 'reject',
      envelope,
      reason: 'validation-failed',
      message: `could not build ${eventClass.name}: ${(error as Error).message}`,
    };
  }
  const errors = await validate(event, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    return {
      kind: 'reject',
      envelope,
      reason: 'validation-failed',
      message: `${eventClass.name} is invalid: ${summarizeValidationErrors(errors).join('; ')}`,
    };
  }
  return {
    kind: 'event',
    envelope: envelope as EventEnvelope,
    event,
  };
}

/** A record that decoded to a valid event of a handled type. */
export type EventRecord = Extract<DecodedRecord, { kind: 'event' }>;
