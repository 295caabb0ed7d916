import { DEFAULT_OUTBOX_TABLE, quoteIdent, uuidToString, uuidv7Bytes } from '@lockstep/core';
import type { QueryRunner } from 'typeorm';
import { OutboxContext } from './outbox-context.js';
import { getOutboxEventMetadata } from '@lockstep/core';
import { validateOutboxEvent } from './outbox-event.validator.js';
import { buildOutboxHeaders, type OutboxPublishOptions } from './outbox-headers.builder.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, serializeEventPayload } from './outbox-payload.serializer.js';
import { utcDatetime6, type OutboxRecord } from './outbox-record.js';
import { transactionalQueryRunner, type OutboxTarget } from './outbox-transaction.js';
import { OutboxConfigurationError, OutboxEventDefinitionError } from './outbox.errors.js';

/** Options of the plain (framework-free) writer. */
export interface OutboxWriterOptions {
  /** Outbox table name. Default `lockstep_outbox` (DEFAULT_OUTBOX_TABLE). */
  table?: string;
  /** Largest accepted payload in bytes. Default 4 MiB (DEFAULT_MAX_PAYLOAD_BYTES). */
  maxPayloadBytes?: number;
  /** Run class-validator rules before writing. Default true. */
  validate?: boolean;
  /** Rows per INSERT statement before a publish is split. Default 100 (bounds prepared statements per connection). */
  maxRowsPerStatement?: number;
  /** Payload bytes per INSERT statement before a publish is split. Default 8 MiB (below MariaDB's default 16 MiB packet). */
  maxBytesPerStatement?: number;
}

/** A ready-to-run statement, for callers with their own connection (relay, consumer, benchmarks). */
export interface OutboxInsertStatement {
  sql: string;
  params: Array<Buffer | string>;
}

const COLUMNS = '(id, aggregate_type, aggregate_id, event_type, payload, headers, created_at)';
const ROW = '(?, ?, ?, ?, ?, ?, ?)';

/**
 * The write side without Nest: turns event objects into outbox rows (validate, serialise,
 * headers) and inserts them with the caller's transaction. Used by the TypeORM subscriber,
 * by `OutboxService`, and directly by anything that is not a Nest app.
 */
export class OutboxWriter {
  readonly table: string;
  readonly maxPayloadBytes: number;
  private readonly validate: boolean;
  private readonly maxRows: number;
  private readonly maxBytes: number;
  private readonly insertPrefix: string;

  constructor(options: OutboxWriterOptions = {}) {
    this.table = options.table ?? DEFAULT_OUTBOX_TABLE;
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.validate = options.validate ?? true;
    this.maxRows = options.maxRowsPerStatement ?? 100;
    this.maxBytes = options.maxBytesPerStatement ?? 8 * 1024 * 1024;
    if (!(this.maxPayloadBytes > 0) || !(this.maxRows > 0) || !(this.maxBytes > 0)) {
      throw new OutboxConfigurationError(
        'outbox writer limits must be positive numbers',
        'check maxPayloadBytes, maxRowsPerStatement and maxBytesPerStatement',
      );
    }
    try {
      this.insertPrefix = `INSERT INTO ${quoteIdent(this.table)} ${COLUMNS} VALUES `;
    } catch {
      throw new OutboxConfigurationError(
        `invalid outbox table name: ${this.table}`,
        'use letters, digits, _ and $ only (at most 64 characters)',
      );
    }
  }

  /**
   * Writes `events` in the transaction of `target` (an EntityManager from
   * `dataSource.transaction()`, or a QueryRunner with an open transaction). Throws
   * OutboxNotInTransactionError outside a transaction and OutboxValidationError /
   * OutboxPayloadError for bad events; the caller's transaction then rolls back as a whole.
   */
  async write(target: OutboxTarget, events: object | readonly object[], options?: OutboxPublishOptions): Promise<OutboxRecord[]> {
    const queryRunner = transactionalQueryRunner(target, 'publish');
    const list = Array.isArray(events) ? (events as readonly object[]) : [events as object];
    if (list.length === 0) return [];
    const records = await this.prepare(list, options);
    await this.insertWith(queryRunner, records);
    return records;
  }

  /** Builds the rows for `events` (validation, payload bytes, ids, headers) without writing. */
  async prepare(events: readonly object[], options?: OutboxPublishOptions): Promise<OutboxRecord[]> {
    const ctx = OutboxContext.current();
    const records: OutboxRecord[] = [];
    for (const event of events) {
      const metadata = event && typeof event === 'object' ? getOutboxEventMetadata(event) : undefined;
      if (!metadata) {
        throw new OutboxEventDefinitionError(
          `${describe(event)} is not an outbox event`,
          'record an instance of a class decorated with @OutboxEvent({ type, aggregate, aggregateId })',
        );
      }
      if (this.validate) await validateOutboxEvent(event, metadata.type);
      const aggregateId = metadata.aggregateIdOf(event);
      if (!aggregateId) {
        throw new OutboxEventDefinitionError(
          `event ${metadata.type} has an empty aggregate id`,
          'set the property named by @OutboxEvent({ aggregateId }) (default `aggregateId`); it becomes the Kafka key',
        );
      }
      const payload = serializeEventPayload(event, metadata.type, this.maxPayloadBytes);
      const id = uuidv7Bytes();
      records.push({
        id,
        idString: uuidToString(id),
        aggregateType: metadata.aggregate,
        aggregateId,
        eventType: metadata.type,
        payload,
        headers: buildOutboxHeaders(metadata.schemaVersion, ctx, options),
        createdAt: utcDatetime6(),
      });
    }
    return records;
  }

  /**
   * Multi-row INSERT statements for `records`: one statement unless a publish exceeds
   * `maxRowsPerStatement` rows or `maxBytesPerStatement` payload bytes.
   */
  insertStatements(records: readonly OutboxRecord[]): OutboxInsertStatement[] {
    const statements: OutboxInsertStatement[] = [];
    let rows: string[] = [];
    let params: Array<Buffer | string> = [];
    let bytes = 0;
    const flush = () => {
      if (rows.length === 0) return;
      statements.push({ sql: this.insertPrefix + rows.join(', '), params });
      rows = [];
      params = [];
      bytes = 0;
    };
    for (const r of records) {
      if (rows.length >= this.maxRows || (rows.length > 0 && bytes + r.payload.length > this.maxBytes)) flush();
      rows.push(ROW);
      params.push(r.id, r.aggregateType, r.aggregateId, r.eventType, r.payload, JSON.stringify(r.headers), r.createdAt);
      bytes += r.payload.length;
    }
    flush();
    return statements;
  }

  /**
   * Inserts on the QueryRunner's own connection as prepared statements (binary protocol: the
   * payload travels as raw bytes, not as an escaped literal). Going to mysql2 directly also keeps
   * payloads out of TypeORM's query log.
   */
  async insertWith(queryRunner: QueryRunner, records: readonly OutboxRecord[]): Promise<void> {
    for (const { sql, params } of this.insertStatements(records)) {
      const connection = (await queryRunner.connect()) as
        { promise?: () => { execute?: (sql: string, params: unknown[]) => Promise<unknown> } } | undefined;
      const promised = typeof connection?.promise === 'function' ? connection.promise() : undefined;
      try {
        if (promised && typeof promised.execute === 'function') {
          await promised.execute(sql, params);
        } else {
          await queryRunner.query(sql, params);
        }
      } catch (error) {
        throw this.explain(error);
      }
    }
  }

  /** Turns the two set-up mistakes users hit first into errors that say what to do. */
  private explain(error: unknown): unknown {
    const errno =
      (error as { errno?: number; driverError?: { errno?: number } }).driverError?.errno ?? (error as { errno?: number }).errno;
    if (errno === 1146) {
      return new OutboxConfigurationError(
        `the outbox table ${this.table} does not exist in this database`,
        'run the Lockstep migrations (`npm run migrate`, or add `lockstepMigrations` to your DataSource), or set `table` to your outbox table',
      );
    }
    if (errno === 1153) {
      return new OutboxConfigurationError(
        'an outbox INSERT is larger than the server accepts (max_allowed_packet)',
        "raise the server's max_allowed_packet, or lower maxPayloadBytes / maxBytesPerStatement",
      );
    }
    return error;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return `a ${typeof value}`;
  const name = value.constructor?.name;
  return name && name !== 'Object' ? `an instance of ${name}` : 'a plain object';
}
