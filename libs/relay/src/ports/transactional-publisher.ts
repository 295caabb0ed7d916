import type { RelayCheckpoint } from '../core/relay-checkpoint.js';
import type { RelayRecord } from '../core/record-router.js';

/**
 * Port: publishes batches of records atomically together with the relay's checkpoint.
 * Guarantees: `publish` either commits all records and the checkpoint in one Kafka transaction,
 * or throws; a throw never means "maybe committed" to the caller — it must throw the publisher
 * away, open a new one (which aborts or completes whatever was open) and re-read the checkpoint.
 * At most one transaction is open at a time.
 */
export interface TransactionalPublisher {
  /** Connects and claims the transactional id: a previous holder is fenced, its open transaction aborted. */
  connect(): Promise<void>;
  /** The last committed checkpoint of this relay name, read in read_committed mode to the end of the topic. */
  readCheckpoint(): Promise<RelayCheckpoint | null>;
  /** Creates the topics that do not exist yet (idempotent, cached). */
  ensureTopics(topics: Iterable<string>): Promise<void>;
  /** One Kafka transaction: all records plus the checkpoint record, then commit. */
  publish(records: readonly RelayRecord[], checkpoint: RelayCheckpoint): Promise<void>;
  /** Best-effort abort of an open transaction and disconnect; never throws. */
  close(): Promise<void>;
}
