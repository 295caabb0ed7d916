import type { EventIdBytes } from '@lockstep/core';

/** One outbox row, exactly as written (docs/design.md "Wire format"). */
export interface OutboxRecord {
  /** UUIDv7 as 16 bytes (`id BINARY(16)`). */
  id: EventIdBytes;
  /** The same id in its string form (`lockstep-id` header on Kafka). */
  idString: string;
  aggregateType: string;
  aggregateId: string;
  eventType: string;
  /** UTF-8 JSON bytes, forwarded verbatim. */
  payload: Buffer;
  /** The `headers` column: a JSON object of string -> string. */
  headers: Record<string, string>;
  /** `created_at` as written: `YYYY-MM-DD HH:MM:SS.ffffff`, UTC. */
  createdAt: string;
}

/**
 * A UTC time as a `DATETIME(6)` literal (DATETIME has no time zone: Lockstep always writes UTC).
 * `nowMs` may be fractional: its sub-millisecond part becomes the microsecond digits. Without an
 * argument, the wall clock's milliseconds get the monotonic clock's sub-millisecond part, so
 * events written in the same millisecond still carry distinct microseconds.
 */
export function utcDatetime6(nowMs: number = Date.now() + (performance.now() % 1)): string {
  const wholeMs = Math.floor(nowMs);
  const micros = Math.min(999, Math.round((nowMs - wholeMs) * 1000)); // round: a double at epoch scale holds ~0.2 µs
  const iso = new Date(wholeMs).toISOString(); // 2026-11-24T20:31:05.123Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${String(micros).padStart(3, '0')}`;
}
