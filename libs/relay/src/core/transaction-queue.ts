import { outboxRowSize } from './outbox-row.js';
import type { CommitPosition, SourceTransaction } from './transaction-assembler.js';

export interface TakenBatch {
  transactions: SourceTransaction[];
  events: number;
  bytes: number;
  /** Checkpoint for this batch: after its last transaction, or later when only row-less transactions followed. */
  position: CommitPosition;
}

/**
 * Committed source transactions waiting for Kafka, in commit order. Batches are cut between
 * whole transactions only. Transactions without outbox rows are not stored: they only move
 * `latestPosition`, which a batch may claim when it empties the queue.
 */
export class TransactionQueue {
  private txs: SourceTransaction[] = [];
  private events = 0;
  private latest: CommitPosition | null = null;

  push(tx: SourceTransaction): void {
    if (tx.rows.length > 0) {
      this.txs.push(tx);
      this.events += tx.rows.length;
    }
    this.latest = tx.position;
  }

  get queuedEvents(): number {
    return this.events;
  }

  get queuedTransactions(): number {
    return this.txs.length;
  }

  get latestPosition(): CommitPosition | null {
    return this.latest;
  }

  /** Takes whole transactions from the head up to the caps (always at least one, however big). */
  take(maxEvents: number, maxBytes: number): TakenBatch | null {
    if (this.txs.length === 0) return null;
    let n = 0;
    let events = 0;
    let bytes = 0;
    while (n < this.txs.length) {
      const tx = this.txs[n];
      const txBytes = tx.rows.reduce((sum, r) => sum + outboxRowSize(r), 0);
      if (n > 0 && (events + tx.rows.length > maxEvents || bytes + txBytes > maxBytes)) break;
      events += tx.rows.length;
      bytes += txBytes;
      n += 1;
    }
    const transactions = this.txs.splice(0, n);
    this.events -= events;
    const position = this.txs.length === 0 && this.latest ? this.latest : transactions[transactions.length - 1].position;
    return { transactions, events, bytes, position };
  }

  clear(): void {
    this.txs = [];
    this.events = 0;
    this.latest = null;
  }
}
