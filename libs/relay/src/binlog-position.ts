import type mysql from 'mysql2/promise';
import type { MysqlConnectionOptions } from '@lockstep/core';
import type { GtidPosition } from './relay-checkpoint.js';
import { ReconnectingConnection } from './reconnecting-connection.js';

/**
 * Reads the server's current end of binlog as a GTID position (MariaDB `gtid_binlog_pos`, MySQL
 * `gtid_executed`) on one connection of its own, opened on first use and reopened after an error.
 */
export class BinlogEndProbe {
  private readonly connection: ReconnectingConnection;
  private sql: string | null = null;

  constructor(options: MysqlConnectionOptions & { ssl?: unknown }) {
    this.connection = new ReconnectingConnection(options);
  }

  read(): Promise<GtidPosition> {
    return this.connection.use(async (c) => {
      if (!this.sql) {
        const [[version]] = await c.query<mysql.RowDataPacket[]>({ sql: 'SELECT VERSION() AS v', timeout: 5_000 });
        this.sql = /mariadb/i.test(String(version?.v)) ? 'SELECT @@GLOBAL.gtid_binlog_pos AS p' : 'SELECT @@GLOBAL.gtid_executed AS p';
      }
      const [[row]] = await c.query<mysql.RowDataPacket[]>({ sql: this.sql, timeout: 5_000 });
      return String(row?.p ?? '').replace(/\s/g, '') as GtidPosition;
    });
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

/** The server's current end of binlog, on a short-lived connection. */
export async function currentGtidPosition(connection: MysqlConnectionOptions & { ssl?: unknown }): Promise<GtidPosition> {
  const probe = new BinlogEndProbe(connection);
  try {
    return await probe.read();
  } finally {
    await probe.close();
  }
}
