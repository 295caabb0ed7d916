import { quoteIdent } from '@lockstep/core';
import { DEFAULT_DEAD_LETTERS_TABLE, DEFAULT_PARKED_KEYS_TABLE } from '../../core/consumer-tables.js';

/**
 * Keys (aggregates) whose events are held back because an earlier event of theirs was
 * dead-lettered: applying later events without it would break per-aggregate order.
 * `key_hash` (SHA-256 of the key) keeps the primary key short whatever the key length.
 */
export function parkedKeysTableDdl(table = DEFAULT_PARKED_KEYS_TABLE): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(table)} (
  consumer VARCHAR(191) NOT NULL,
  topic VARCHAR(249) NOT NULL,
  key_hash BINARY(32) NOT NULL,
  partition_id INT NOT NULL,
  aggregate_key TEXT NOT NULL,
  head_event_id BINARY(16) NULL,
  head_offset BIGINT NOT NULL,
  parked_events INT NOT NULL DEFAULT 0,
  parked_at DATETIME(6) NOT NULL,
  PRIMARY KEY (consumer, topic, key_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
}

/**
 * One row per dead-lettered event, written in the same transaction as its inbox row and the
 * stored offset. It tells "in the inbox because it was applied" apart from "in the inbox because
 * it was dead-lettered", so a re-driven copy of a dead-lettered event is applied while a
 * duplicate of an applied event is still skipped.
 */
export function deadLettersTableDdl(table = DEFAULT_DEAD_LETTERS_TABLE): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(table)} (
  consumer VARCHAR(191) NOT NULL,
  event_id BINARY(16) NOT NULL,
  topic VARCHAR(249) NOT NULL,
  partition_id INT NOT NULL,
  record_offset BIGINT NOT NULL,
  reason VARCHAR(64) NOT NULL,
  dead_lettered_at DATETIME(6) NOT NULL,
  PRIMARY KEY (consumer, event_id),
  KEY ${quoteIdent(`${table}_at`)} (dead_lettered_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
}
