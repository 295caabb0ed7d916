import type { QueryRunner } from 'typeorm';
import type { StoredPartitionState } from '../core/partition-state.js';

/** A MySQL transaction of the store: the handler writes the read model through its `manager`. */
export type StoreTransaction = QueryRunner;

/** Whether this consumer has seen an event: `applied` (inbox row), `dead-lettered` (inbox row
 * and dead-letter row) or `new`. */
export type EventStatus = 'new' | 'applied' | 'dead-lettered';

/**
 * The consumer's own state next to the read model: inbox (dedup), stored offsets (the real
 * position), parked keys and dead-letter markers. Contract: every method taking a transaction
 * writes only inside it (it commits or rolls back with the handler's writes); a failure of the
 * store itself is a `retriable` ConsumerStoreError, never a reason to dead-letter a record.
 * The MySQL adapter is `adapters/mysql/consumer-store.ts`.
 */
export interface InboxStore {
  /** Runs `fn` in one transaction; opening/committing failures are ConsumerStoreError. */
  inTransaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T>;
  loadPartition(topic: string, partition: number): Promise<StoredPartitionState>;
  /** Records the event as processed; false if it already was (the handler must not run). */
  insertInbox(tx: StoreTransaction, eventId: Buffer): Promise<boolean>;
  /** Moves the stored position of the partition forward (never back) to `nextOffset`. */
  storeOffset(tx: StoreTransaction, topic: string, partition: number, nextOffset: bigint): Promise<void>;
  eventStatus(eventId: Buffer): Promise<EventStatus>;
  recordDeadLetter(
    tx: StoreTransaction,
    d: { eventId: Buffer; topic: string; partition: number; offset: string; reason: string },
  ): Promise<void>;
  /** A re-driven copy of a dead-lettered event: forget the dead letter so it can be applied. */
  resetDeadLetter(tx: StoreTransaction, eventId: Buffer): Promise<void>;
  park(
    tx: StoreTransaction,
    p: { topic: string; partition: number; key: string; headEventId: Buffer | null; headOffset: string },
  ): Promise<void>;
  unpark(tx: StoreTransaction, topic: string, key: string): Promise<void>;
}
