import { quoteIdent, uuidToBytes, type MysqlConnectionOptions } from '@lockstep/core';
import type { RelayCheckpoint } from '../../core/relay-checkpoint.js';
import type { CheckpointMirror } from '../../ports/checkpoint-mirror.js';
import { ReconnectingConnection } from './reconnecting-connection.js';

/**
 * Copies each committed checkpoint into MySQL (`lockstep_relay_checkpoint`) for outbox retention
 * and `lockstep status`. Informational only: the Kafka checkpoint topic is the truth, so a failed
 * mirror write is reported and skipped, never retried in the publish path.
 */
export class MysqlCheckpointMirror implements CheckpointMirror {
  private readonly connection: ReconnectingConnection;
  private readonly sql: string;

  constructor(
    private readonly options: {
      connection: MysqlConnectionOptions & { ssl?: unknown };
      database: string;
      table: string;
      relayName: string;
    },
  ) {
    this.connection = new ReconnectingConnection(options.connection);
    this.sql = `INSERT INTO ${quoteIdent(options.database)}.${quoteIdent(options.table)}
  (relay_name, gtid_set, binlog_file, binlog_position, last_event_id, last_event_created_at, events_published, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))
  ON DUPLICATE KEY UPDATE gtid_set = VALUES(gtid_set), binlog_file = VALUES(binlog_file), binlog_position = VALUES(binlog_position),
  last_event_id = COALESCE(VALUES(last_event_id), last_event_id), last_event_created_at = COALESCE(VALUES(last_event_created_at), last_event_created_at),
  events_published = VALUES(events_published), updated_at = VALUES(updated_at)`;
  }

  async write(c: RelayCheckpoint): Promise<void> {
    await this.connection.use((connection) =>
      connection.query({ sql: this.sql, timeout: 10_000 }, [
        this.options.relayName,
        c.gtidSet,
        c.binlogFile ?? null,
        c.binlogPosition ?? null,
        c.lastEventId ? uuidToBytes(c.lastEventId) : null,
        c.lastEventCreatedAt,
        c.eventsPublished,
      ]),
    );
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
