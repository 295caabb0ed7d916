import type { MysqlConnectionOptions } from '@lockstep/core';
import type { BinlogServer } from '../../ports/binlog-server.js';
import type { BinlogRetentionFacts } from '../../core/purge-risk.js';
import type { GtidPosition } from '../../core/relay-checkpoint.js';
import { currentGtidPosition, readBinlogEnd } from './binlog-position.js';
import { readBinlogRetention } from './binlog-retention.reader.js';
import { runPreflight } from './preflight-facts.js';
import { ReconnectingConnection } from './reconnecting-connection.js';

/**
 * BinlogServer over mysql2: preflight and the start position on short-lived connections; the
 * background reads (binlog end for the lag metric, binlog retention) on one connection of their own.
 */
export class MysqlBinlogServer implements BinlogServer {
  private readonly probe: ReconnectingConnection;

  constructor(
    private readonly options: {
      connection: MysqlConnectionOptions & { ssl?: unknown };
      database: string;
      table: string;
      checkpointTable: string | false;
    },
  ) {
    this.probe = new ReconnectingConnection(options.connection);
  }

  preflight(): Promise<void> {
    const { database, table, checkpointTable } = this.options;
    return runPreflight(this.options.connection, { database, table, checkpointTable });
  }

  currentPosition(): Promise<GtidPosition> {
    return currentGtidPosition(this.options.connection);
  }

  binlogEnd(): Promise<GtidPosition> {
    return this.probe.use(readBinlogEnd);
  }

  retention(): Promise<BinlogRetentionFacts> {
    return this.probe.use(readBinlogRetention);
  }

  close(): Promise<void> {
    return this.probe.close();
  }
}
