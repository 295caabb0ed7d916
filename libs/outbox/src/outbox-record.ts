import type { EventIdBytes } from '@lockstep/core';

/** One outbox row, exactly as written (DESIGN.md "Wire contract"). */
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
 * Current UTC time as a `DATETIME(6)` literal. Milliseconds come from the wall clock; the
 * microsecond digits from the monotonic clock's sub-millisecond part, so events written in the
 * same millisecond still differ (DATETIME has no time zone: Lockstep always writes UTC).
 */
export function utcDatetime6(nowMs: number = Date.now()): string {
  const iso = new Date(nowMs).toISOString(); // 2026-11-24T20:31:05.123Z
  const micros = Math.floor((performance.now() % 1) * 1000)
    .toString()
    .padStart(3, '0');
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${micros}`;
}
