import type { RelayCheckpoint } from './relay-checkpoint.js';
import type { TransactionQueue } from './transaction-queue.js';

/** What the relay has done so far, as its getters and metrics read it. Written by the session in progress. */
export class RelayProgress {
  /** Last checkpoint committed to Kafka by this process (null before the first). */
  checkpoint: RelayCheckpoint | null = null;
  /** The queue of the session in progress (null between sessions). */
  queue: TransactionQueue | null = null;
  /** True while backpressure pauses the binlog. */
  sourcePaused = false;
  /** Kafka transactions this process committed (batches and checkpoint-only ones). */
  commits = 0;

  /** A Kafka transaction carrying `checkpoint` committed. */
  committed(checkpoint: RelayCheckpoint): void {
    this.checkpoint = checkpoint;
    this.commits += 1;
  }
}
