import type { DataSource, QueryRunner } from 'typeorm';
import { quoteIdent } from '@lockstep/core';
import { ConsumerStoreError } from '../../core/consumer.errors.js';
import type { ConsumerTables } from '../../core/consumer-tables.js';
import { keyHash, type StoredPartitionState } from '../../core/partition-state.js';
import type { EventStatus, InboxStore } from '../../ports/inbox-store.port.js';
import { inTransaction } from './mysql-transaction.js';

const ER_DUP_ENTRY = 1062;
const errnoOf = (error: unknown): number | undefined => {
  const e = error as { errno?: number; driverError?: { errno?: number } };
  return e?.driverError?.errno ?? e?.errno;
};

/**
 * The consumer's inbox, stored offsets, parked keys and dead-letter markers, in MySQL (the
 * read model's database). Every write that belongs to an event takes the caller's
 * QueryRunner, so it commits or rolls back with the read-model writes of that event.
 */
export class ConsumerStore implements InboxStore {
  private readonly t: Record<keyof ConsumerTables, string>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly consumer: string,
    private readonly groupId: string,
    tables: ConsumerTables,
  ) {
    this.t = {
      inbox: quoteIdent(tables.inbox),
      offsets: quoteIdent(tables.offsets),
      parkedKeys: quoteIdent(tables.parkedKeys),
      deadLetters: quoteIdent(tables.deadLetters),
    };
  }

  inTransaction<T>(fn: (qr: QueryRunner) => Promise<T>): Promise<T> {
    return inTransaction(this.dataSource, fn);
  }

  /** Names of the consumer tables that do not exist (or cannot be read) on the DataSource. */
  async missingTables(): Promise<string[]> {
    const missing: string[] = [];
    for (const table of Object.values(this.t)) {
      try {
        await this.dataSource.query(`SELECT 1 FROM ${table} LIMIT 0`);
      } catch {
        missing.push(table.replace(/`/g, ''));
      }
    }
    return missing;
  }

  async loadPartition(topic: string, partition: number): Promise<StoredPartitionState> {
    return this.guard('load the stored partition state', async () => {
      const rows = await this.dataSource.query<Array<{ next_offset: string }>>(
        `SELECT CAST(next_offset AS CHAR) AS next_offset FROM ${this.t.offsets} WHERE group_id = ? AND topic = ? AND partition_id = ?`,
        [this.groupId, topic, partition],
      );
      const parkedRows = await this.dataSource.query<Array<{ k: string; h: string | null }>>(
        `SELECT HEX(key_hash) AS k, HEX(head_event_id) AS h FROM ${this.t.parkedKeys} WHERE consumer = ? AND topic = ? AND partition_id = ?`,
        [this.consumer, topic, partition],
      );
      return {
        nextOffset: rows[0] ? BigInt(rows[0].next_offset) : undefined,
        parked: new Map(parkedRows.map((r) => [r.k.toLowerCase(), (r.h ?? '').toLowerCase()])),
      };
    });
  }

  /** Records the event as processed; false if it already was (the handler must not run). */
  async insertInbox(qr: QueryRunner, eventId: Buffer): Promise<boolean> {
    try {
      await qr.query(`INSERT INTO ${this.t.inbox} (consumer, event_id, processed_at) VALUES (?, ?, UTC_TIMESTAMP(6))`, [
        this.consumer,
        eventId,
      ]);
      return true;
    } catch (error) {
      if (errnoOf(error) === ER_DUP_ENTRY) return false;
      throw new ConsumerStoreError('could not write the inbox row', error);
    }
  }

  /** GREATEST: a zombie member finishing a stale batch after a rebalance must not move the
   * stored position backwards. */
  async storeOffset(qr: QueryRunner, topic: string, partition: number, nextOffset: bigint): Promise<void> {
    await this.guard('store the consumer offset', () =>
      qr.query(
        `INSERT INTO ${this.t.offsets} (group_id, topic, partition_id, next_offset, updated_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))
         ON DUPLICATE KEY UPDATE next_offset = GREATEST(next_offset, VALUES(next_offset)), updated_at = VALUES(updated_at)`,
        [this.groupId, topic, partition, nextOffset.toString()],
      ),
    );
  }

  async eventStatus(eventId: Buffer): Promise<EventStatus> {
    return this.guard('read the inbox', async () => {
      const rows = await this.dataSource.query<Array<{ inbox: string | number; dead: string | number }>>(
        `SELECT (SELECT COUNT(*) FROM ${this.t.inbox} WHERE consumer = ? AND event_id = ?) AS inbox,
                (SELECT COUNT(*) FROM ${this.t.deadLetters} WHERE consumer = ? AND event_id = ?) AS dead`,
        [this.consumer, eventId, this.consumer, eventId],
      );
      const row = rows[0];
      if (Number(row.dead) > 0) return 'dead-lettered';
      return Number(row.inbox) > 0 ? 'applied' : 'new';
    });
  }

  async recordDeadLetter(
    qr: QueryRunner,
    d: { eventId: Buffer; topic: string; partition: number; offset: string; reason: string },
  ): Promise<void> {
    await this.guard('record the dead letter', async () => {
      await qr.query(`INSERT IGNORE INTO ${this.t.inbox} (consumer, event_id, processed_at) VALUES (?, ?, UTC_TIMESTAMP(6))`, [
        this.consumer,
        d.eventId,
      ]);
      await qr.query(
        `INSERT INTO ${this.t.deadLetters} (consumer, event_id, topic, partition_id, record_offset, reason, dead_lettered_at)
         VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))
         ON DUPLICATE KEY UPDATE topic = VALUES(topic), partition_id = VALUES(partition_id), record_offset = VALUES(record_offset),
           reason = VALUES(reason), dead_lettered_at = VALUES(dead_lettered_at)`,
        [this.consumer, d.eventId, d.topic, d.partition, d.offset, d.reason],
      );
    });
  }

  /** A re-driven copy of a dead-lettered event: forget the dead letter (and its inbox marker)
   * so the event can be applied. Does nothing for an event that was applied. */
  async resetDeadLetter(qr: QueryRunner, eventId: Buffer): Promise<void> {
    await this.guard('reset the dead letter', async () => {
      const result = (await qr.query(
        `DELETE FROM ${this.t.deadLetters} WHERE consumer = ? AND event_id = ?`,
        [this.consumer, eventId],
        true,
      )) as { affected?: number };
      if ((result.affected ?? 0) > 0) {
        await qr.query(`DELETE FROM ${this.t.inbox} WHERE consumer = ? AND event_id = ?`, [this.consumer, eventId]);
      }
    });
  }

  async park(
    qr: QueryRunner,
    p: { topic: string; partition: number; key: string; headEventId: Buffer | null; headOffset: string },
  ): Promise<void> {
    await this.guard('park the key', () =>
      qr.query(
        `INSERT INTO ${this.t.parkedKeys} (consumer, topic, key_hash, partition_id, aggregate_key, head_event_id, head_offset, parked_events, parked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 0, UTC_TIMESTAMP(6))
         ON DUPLICATE KEY UPDATE parked_events = parked_events + 1`,
        [this.consumer, p.topic, keyHash(p.key), p.partition, p.key, p.headEventId, p.headOffset],
      ),
    );
  }

  async unpark(qr: QueryRunner, topic: string, key: string): Promise<void> {
    await this.guard('unpark the key', () =>
      qr.query(`DELETE FROM ${this.t.parkedKeys} WHERE consumer = ? AND topic = ? AND key_hash = ?`, [
        this.consumer,
        topic,
        keyHash(key),
      ]),
    );
  }

  /** Deletes inbox rows older than `days`, `batchSize` rows per statement so no long lock is
   * held; returns how many went. Dedup then relies on the stored offsets for older events. */
  async pruneInbox(days: number, batchSize = 1000): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.guard('prune the inbox', () =>
        this.dataSource.query<{ affectedRows?: number }>(
          `DELETE FROM ${this.t.inbox} WHERE consumer = ? AND processed_at < UTC_TIMESTAMP(6) - INTERVAL ? DAY LIMIT ${Number(batchSize)}`,
          [this.consumer, days],
        ),
      );
      const n = result.affectedRows ?? 0;
      total += n;
      if (n < batchSize) return total;
    }
  }

  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof ConsumerStoreError) throw error;
      throw new ConsumerStoreError(`could not ${what}`, error);
    }
  }
}
