import {
  DEFAULT_CONSUMER_OFFSETS_TABLE,
  DEFAULT_INBOX_TABLE,
  DEFAULT_OUTBOX_TABLE,
  DEFAULT_RELAY_CHECKPOINT_TABLE,
} from './wire.js';

/**
 * DDL of Lockstep's tables, shared by the TypeORM migrations in `migrations/` and by tests.
 * Plain SQL accepted by MySQL 8.0/8.4 and MariaDB >= 10.6 alike.
 */

const ident = (name: string): string => {
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(name)) throw new TypeError(`invalid table name: ${name}`);
  return `\`${name}\``;
};

/**
 * The outbox (docs/design.md "Wire format"). `headers` is TEXT rather than JSON on purpose:
 * MySQL logs a JSON column in its binary JSON format while MariaDB logs text; TEXT gives the
 * relay the same bytes on both servers.
 */
export function outboxTableDdl(table = DEFAULT_OUTBOX_TABLE): string {
  return `CREATE TABLE IF NOT EXISTS ${ident(table)} (
  id BINARY(16) NOT NULL,
  aggregate_type VARCHAR(255) NOT NULL,
  aggregate_id VARCHAR(255) NOT NULL,
  event_type VARCHAR(255) NOT NULL,
  payload LONGBLOB NOT NULL,
  headers TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY ${ident(`${table}_created_at`)} (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
}

/** One row per event a consumer has applied: the primary key makes a replay a no-op. */
export function inboxTableDdl(table = DEFAULT_INBOX_TABLE): string {
  return `CREATE TABLE IF NOT EXISTS ${ident(table)} (
  consumer VARCHAR(191) NOT NULL,
  event_id BINARY(16) NOT NULL,
  processed_at DATETIME(6) NOT NULL,
  PRIMARY KEY (consumer, event_id),
  KEY ${ident(`${table}_processed_at`)} (processed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
}

/** Next offset to read per consumer group/partition, committed with the read model. */
export function consumerOffsetsTableDdl(table = DEFAULT_CONSUMER_OFFSETS_TABLE): string {
  return `CREATE TABLE IF NOT EXISTS ${ident(table)} (
  group_id VARCHAR(191) NOT NULL,
  topic VARCHAR(249) NOT NULL,
  partition_id INT NOT NULL,
  next_offset BIGINT NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (group_id, topic, partition_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
}

/**
 * The relay's committed checkpoint, mirrored from Kafka after each Kafka commit. Informational
 * (the source of truth is the checkpoint topic): outbox retention and `lockstep status` read it.
 */
export function relayCheckpointTableDdl(table = DEFAULT_RELAY_CHECKPOINT_TABLE): string {
  return `CREATE TABLE IF NOT EXISTS ${ident(table)} (
  relay_name VARCHAR(191) NOT NULL,
  gtid_set TEXT NOT NULL,
  binlog_file VARCHAR(255) NULL,
  binlog_position BIGINT NULL,
  last_event_id BINARY(16) NULL,
  last_event_created_at DATETIME(6) NULL,
  events_published BIGINT NOT NULL DEFAULT 0,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (relay_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
}

export const quoteIdent = ident;
