import mysql from 'mysql2/promise';
import {
  DEFAULT_OUTBOX_TABLE,
  DEFAULT_TOPIC_PREFIX,
  quoteIdent,
  uuidToBytes,
  uuidToString,
  type KafkaConnectionOptions,
  type MysqlConnectionOptions,
} from '@lockstep/core';
import { KafkaTransactionalPublisher } from '../adapters/kafkajs/kafka-transactional-publisher.js';
import { outboxRowFromBinlog } from '../core/outbox-row.js';
import { defaultTopicRouter, toRelayRecord, type TopicRouter } from '../core/record-router.js';

export interface OutboxReplayOptions {
  mysql: MysqlConnectionOptions & { ssl?: unknown };
  kafka: KafkaConnectionOptions;
  /** Event id (UUIDv7) to start after, exclusive: usually the relay checkpoint's last event id. */
  after: string;
  /** Last event id to re-publish, inclusive; default: the newest row. */
  until?: string | null;
  outboxDatabase?: string;
  outboxTable?: string;
  topicPrefix?: string;
  topicRouter?: TopicRouter;
  topicPartitions?: number;
  /** The relay's checkpoint topic (ensured to exist, never written). Default `<prefix>.relay-checkpoints`. */
  checkpointTopic?: string;
  /**
   * Start this much earlier than `after` (by the time in the UUIDv7 id). An event id is taken when
   * the event is recorded, not when its transaction commits: a transaction begun before the
   * checkpoint's last event may have committed after it. Default 60000; consumers drop the extra copies.
   */
  marginMs?: number;
  /** Rows per Kafka transaction. Default 500. */
  pageSize?: number;
  /** Count and list the range only; publish nothing. */
  dryRun?: boolean;
  /** Called after each committed page (never with payloads). */
  onPage?: (page: { events: number; lastId: string }) => void;
}

export interface OutboxReplayResult {
  events: number;
  firstId: string | null;
  lastId: string | null;
  topics: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `lockstep replay`: re-publishes retained outbox rows after an event id, in id (= UUIDv7 time)
 * order, exactly as the relay would have (same topic, key, value and headers), one Kafka
 * transaction per page. For recovery when the binlog holding a checkpoint was purged.
 * At-least-once by nature: rows the relay did publish are published again, and consumers drop
 * them by `lockstep-id`. It never writes the relay's checkpoint.
 */
export async function replayOutbox(o: OutboxReplayOptions): Promise<OutboxReplayResult> {
  if (!UUID.test(o.after)) throw new RangeError(`replay: --after must be an event id (UUID), got "${o.after}"`);
  if (o.until && !UUID.test(o.until)) throw new RangeError(`replay: --until must be an event id (UUID), got "${o.until}"`);
  const database = o.outboxDatabase ?? o.mysql.database;
  const table = o.outboxTable ?? DEFAULT_OUTBOX_TABLE;
  const router = o.topicRouter ?? defaultTopicRouter(o.topicPrefix ?? DEFAULT_TOPIC_PREFIX);
  const pageSize = o.pageSize ?? 500;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new RangeError(`replay: page size must be a positive integer, got ${pageSize}`);
  const marginMs = o.marginMs ?? 60_000;
  if (!Number.isFinite(marginMs) || marginMs < 0)
    throw new RangeError(`replay: the margin must be a number of seconds >= 0, got ${marginMs / 1000}`);
  const source = `${quoteIdent(database)}.${quoteIdent(table)}`;
  const c = await mysql.createConnection({ ...o.mysql, dateStrings: true, connectTimeout: 5_000 } as mysql.ConnectionOptions);
  const prefix = o.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
  const publisher = o.dryRun
    ? null
    : new KafkaTransactionalPublisher({
        connection: o.kafka,
        relayName: 'replay',
        // Its own transactional id: a replay never fences the running relay.
        transactionalId: `lockstep-replay-${database}.${table}`,
        checkpointTopic: o.checkpointTopic ?? `${prefix}.relay-checkpoints`,
        topicPartitions: o.topicPartitions ?? 3,
        transactionTimeoutMs: 60_000,
        maxRequestBytes: 900 * 1024,
        checkpointReadTimeoutMs: 30_000,
      });
  const result: OutboxReplayResult = { events: 0, firstId: null, lastId: null, topics: [] };
  const topics = new Set<string>();
  try {
    await publisher?.connect();
    let after = lowerBound(uuidToBytes(o.after), marginMs);
    const until = o.until ? uuidToBytes(o.until) : null;
    for (;;) {
      const [rows] = await c.query<mysql.RowDataPacket[]>(
        // CAST: MySQL returns a JSON column parsed; the relay forwards the stored text, as in the binlog.
        `SELECT id, aggregate_type, aggregate_id, event_type, payload, CAST(headers AS CHAR) AS headers, created_at FROM ${source}
         WHERE id > ?${until ? ' AND id <= ?' : ''} ORDER BY id LIMIT ?`,
        until ? [after, until, pageSize] : [after, pageSize],
      );
      if (rows.length === 0) break;
      const records = rows.map((row) => toRelayRecord(outboxRowFromBinlog(row, table), router));
      for (const r of records) topics.add(r.topic);
      if (publisher) {
        await publisher.ensureTopics(records.map((r) => r.topic));
        await publisher.publish(records, null);
      }
      const last = rows[rows.length - 1].id as Buffer;
      result.events += rows.length;
      result.firstId ??= uuidToString(rows[0].id as Buffer);
      result.lastId = uuidToString(last);
      o.onPage?.({ events: rows.length, lastId: result.lastId });
      after = last;
    }
  } finally {
    await publisher?.close();
    await c.end().catch(() => c.destroy());
  }
  result.topics = [...topics].sort();
  return result;
}

/** The smallest id `marginMs` before `id`: UUIDv7 starts with a 48-bit Unix time in ms. */
function lowerBound(id: Buffer, marginMs: number): Buffer {
  if (marginMs <= 0) return id;
  const ms = Math.max(0, id.readUIntBE(0, 6) - marginMs);
  const bound = Buffer.alloc(16);
  bound.writeUIntBE(ms, 0, 6);
  return bound;
}
