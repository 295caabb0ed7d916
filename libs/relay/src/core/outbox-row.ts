import { OutboxRowError } from './relay.errors.js';

/** One outbox insert as read from the binlog (docs/design.md "Wire format"). */
export interface OutboxRow {
  /** 16 bytes, UUIDv7. */
  id: Buffer;
  aggregateType: string;
  aggregateId: string;
  eventType: string;
  /** The payload bytes exactly as written: forwarded verbatim, never parsed. */
  payload: Buffer;
  /** The row's `headers` column text (a JSON object of string -> string), or null. */
  headers: string | null;
  /** `created_at` as the server's DATETIME(6) text, e.g. `2026-11-24 20:30:00.123456` (UTC by convention). */
  createdAt: string;
}

const toBuffer = (value: unknown): Buffer | undefined => {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return undefined;
};

const toText = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
};

/** Turns a decoded binlog row (column name -> value) into an OutboxRow, or explains what is wrong. */
export function outboxRowFromBinlog(row: Record<string, unknown>, table: string): OutboxRow {
  const id = toBuffer(row.id);
  const aggregateType = toText(row.aggregate_type);
  const aggregateId = toText(row.aggregate_id);
  const eventType = toText(row.event_type);
  const payload = toBuffer(row.payload);
  const createdAt = toText(row.created_at);
  const headers = row.headers === null || row.headers === undefined ? null : toText(row.headers);
  if (
    !id ||
    id.length !== 16 ||
    aggregateType === undefined ||
    aggregateId === undefined ||
    eventType === undefined ||
    !payload ||
    !createdAt
  ) {
    throw new OutboxRowError(
      `outbox table ${table}: a binlog row lacks the wire-contract columns (got ${Object.keys(row).join(', ')}); ` +
        'or created_at is not a string (the binlog connection must use dateStrings: true)',
    );
  }
  return { id, aggregateType, aggregateId, eventType, payload, headers: headers ?? null, createdAt };
}

/** Bytes a row adds to a Kafka batch, for batch caps. Approximate: value + key + header text. */
export function outboxRowSize(row: OutboxRow): number {
  return row.payload.length + row.aggregateId.length + (row.headers?.length ?? 0) + 200;
}
