/**
 * The relay's position: what it has published, stored as a record on the compacted checkpoint
 * topic in the same Kafka transaction as the events (so the two can never disagree).
 */
export type GtidPosition = string & { readonly __brand: 'GtidPosition' };

export interface RelayCheckpoint {
  /** GTID set/position after the last source transaction published (a commit boundary). */
  gtidSet: GtidPosition;
  binlogFile?: string | null;
  binlogPosition?: number | null;
  lastEventId: string | null;
  /** created_at of the last event published, DATETIME(6) text. */
  lastEventCreatedAt: string | null;
  eventsPublished: number;
  /** ISO time the checkpoint was written. */
  at: string;
}

export function encodeCheckpoint(c: RelayCheckpoint): Buffer {
  return Buffer.from(JSON.stringify(c), 'utf8');
}

export function decodeCheckpoint(value: Buffer | null | undefined): RelayCheckpoint | null {
  if (!value || value.length === 0) return null; // tombstone
  const parsed = JSON.parse(value.toString('utf8')) as Partial<RelayCheckpoint>;
  if (typeof parsed.gtidSet !== 'string') throw new TypeError('checkpoint record without gtidSet');
  return {
    gtidSet: parsed.gtidSet,
    binlogFile: parsed.binlogFile ?? null,
    binlogPosition: parsed.binlogPosition ?? null,
    lastEventId: parsed.lastEventId ?? null,
    lastEventCreatedAt: parsed.lastEventCreatedAt ?? null,
    eventsPublished: Number(parsed.eventsPublished ?? 0),
    at: parsed.at ?? new Date(0).toISOString(),
  };
}

/** A checkpoint's `lastEventCreatedAt` (`2026-11-24 20:30:00.123456`, UTC by convention) -> epoch ms. */
export function createdAtToMillis(createdAt: string): number {
  return Date.parse(`${createdAt.replace(' ', 'T')}Z`);
}
