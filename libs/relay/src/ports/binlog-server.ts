import type { GtidPosition } from '../core/relay-checkpoint.js';
import type { BinlogRetentionFacts } from '../core/purge-risk.js';

/**
 * Port: what the relay asks the source server besides the binlog stream itself. All reads;
 * `binlogEnd` and `retention` are informational (lag metric, purge-risk warning) and may fail.
 */
export interface BinlogServer {
  /** Refuses to start (throws RelayPreflightError with every fix) when binlog settings or grants are wrong. */
  preflight(): Promise<void>;
  /** The server's current end of binlog, where a relay starting from 'current' or 'now' begins. */
  currentPosition(): Promise<GtidPosition>;
  /** The same, for the lag metric (may share a background connection). */
  binlogEnd(): Promise<GtidPosition>;
  /** The binlog files and their expiry, for the purge-risk warning. */
  retention(): Promise<BinlogRetentionFacts>;
  /** Closes any connection it holds; never throws. */
  close(): Promise<void>;
}
