import type { GtidPosition } from '../core/relay-checkpoint.js';
import type { SourceTransaction } from '../core/transaction-assembler.js';

/**
 * Port: a stream of committed source transactions touching the outbox table, read from the
 * binlog. Guarantees: transactions arrive whole and in commit order; each carries the position
 * after its commit; after an error, nothing more is delivered until `start()` is called again.
 */
export interface BinlogSource {
  /** Begins streaming after `from` (a GTID set/position; '' = oldest available binlog). Resolves once connected. */
  start(from: GtidPosition, handlers: BinlogSourceHandlers): Promise<void>;
  /** Stops reading from the socket (backpressure); the server buffers, up to its net_write_timeout. */
  pause(): void;
  resume(): void;
  /** Disconnects; no handler is called afterwards. Idempotent. */
  stop(): Promise<void>;
}

export interface BinlogSourceHandlers {
  onTransaction(tx: SourceTransaction): void;
  /** Fatal for this stream; the owner restarts it from its checkpoint. `errno` is the server's, when known. */
  onError(error: Error & { errno?: number }): void;
}
