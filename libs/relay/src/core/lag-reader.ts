import type { BinlogServer } from '../ports/binlog-server.js';
import { transactionsBehind } from './gtid-lag.js';
import type { RelayCheckpoint } from './relay-checkpoint.js';

/**
 * Binlog transactions the server committed after a checkpoint (all of them, with or without
 * outbox rows); null before the first checkpoint. Asks the server at most once a second.
 */
export class LagReader {
  private reading: { at: number; value: Promise<number | null> } | null = null;

  constructor(private readonly server: BinlogServer) {}

  transactionsBehind(checkpoint: RelayCheckpoint | null): Promise<number | null> {
    const now = Date.now();
    if (this.reading && now - this.reading.at < 1_000) return this.reading.value;
    const value = checkpoint
      ? this.server.binlogEnd().then((end) => transactionsBehind(end, checkpoint.gtidSet))
      : Promise.resolve(null);
    this.reading = { at: now, value };
    return value;
  }
}
