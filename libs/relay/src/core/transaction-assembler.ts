import type { OutboxRow } from './outbox-row.js';
import type { GtidPosition } from './relay-checkpoint.js';

/** Where the source stands right after a commit: safe to resume from, never mid-transaction. */
export interface CommitPosition {
  gtidSet: GtidPosition;
  binlogFile: string | null;
  binlogPosition: number | null;
}

/**
 * One committed source transaction's outbox rows, in binlog order, with the position after its
 * commit. `rows` may be empty: the transaction touched other tables only, but its commit still
 * moves the checkpoint forward.
 */
export interface SourceTransaction {
  gtid: string | undefined;
  rows: OutboxRow[];
  position: CommitPosition;
}

/**
 * Groups row events into whole source transactions. Rows are released only when their commit
 * (xid) is seen, so a batch can never end in the middle of a source transaction, and a
 * transaction cut off by a dropped connection is simply read again after the resume.
 */
export class TransactionAssembler {
  private rows: OutboxRow[] = [];
  private gtid: string | undefined;
  private open = false;

  constructor(private readonly release: (tx: SourceTransaction) => void) {}

  /** A GTID event: a new transaction begins. A still-open one without commit marker (non-transactional
   * engine) is complete by definition: the server starts the next group only after it. */
  begin(gtid: string | undefined, positionBefore: () => CommitPosition | undefined): void {
    if (this.open && this.rows.length > 0) {
      const position = positionBefore();
      if (position) this.release({ gtid: this.gtid, rows: this.rows, position });
    }
    this.rows = [];
    this.gtid = gtid;
    this.open = true;
  }

  add(rows: OutboxRow[]): void {
    this.open = true;
    for (const row of rows) this.rows.push(row);
  }

  /** The commit marker of the current transaction; `position` is the GTID set including it. */
  commit(position: CommitPosition): void {
    const tx: SourceTransaction = { gtid: this.gtid, rows: this.rows, position };
    this.rows = [];
    this.gtid = undefined;
    this.open = false;
    this.release(tx);
  }

  /** Forget a partial transaction (the stream is being restarted from the last commit boundary). */
  reset(): void {
    this.rows = [];
    this.gtid = undefined;
    this.open = false;
  }

  get pendingRows(): number {
    return this.rows.length;
  }
}
