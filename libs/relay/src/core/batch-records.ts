import { outboxRowSize } from './outbox-row.js';
import { toRelayRecord, type RelayRecord, type TopicRouter } from './record-router.js';
import { InvalidTopicError } from './relay.errors.js';
import type { TakenBatch } from './transaction-queue.js';

/**
 * The Kafka records of a batch, whole source transactions only. A transaction holding an event
 * Kafka cannot take (InvalidTopicError) cuts the batch before it: the transactions ahead of it
 * can still be published, then the relay stops on `refused`.
 */
export function batchRecords(
  batch: TakenBatch,
  router: TopicRouter,
): { publishable: TakenBatch | null; records: RelayRecord[]; refused: InvalidTopicError | null } {
  const records: RelayRecord[] = [];
  for (const [i, tx] of batch.transactions.entries()) {
    let txRecords: RelayRecord[];
    try {
      txRecords = tx.rows.map((row) => toRelayRecord(row, router));
    } catch (error) {
      if (!(error instanceof InvalidTopicError)) throw error;
      const kept = batch.transactions.slice(0, i);
      if (kept.length === 0) return { publishable: null, records: [], refused: error };
      const rows = kept.flatMap((t) => t.rows);
      const publishable = {
        transactions: kept,
        events: rows.length,
        bytes: rows.reduce((n, r) => n + outboxRowSize(r), 0),
        position: kept[kept.length - 1].position,
      };
      return { publishable, records, refused: error };
    }
    records.push(...txRecords);
  }
  return { publishable: batch, records, refused: null };
}
