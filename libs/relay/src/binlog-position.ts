import mysql from 'mysql2/promise';
import type { MysqlConnectionOptions } from '@lockstep/core';
import type { GtidPosition } from './relay-checkpoint.js';

/**
 * Reads the server's current end of binlog as a GTID position (MariaDB `gtid_binlog_pos`, MySQL
 * `gtid_executed`) on one connection of its own, opened on first use and reopened after an error.
 */
export class BinlogEndProbe {
  private connection: mysql.Connection | null = null;
  private sql: string | null = null;

  constructor(private readonly options: MysqlConnectionOptions & { ssl?: unknown }) {}

  async read(): Promise<GtidPosition> {
    try {
      if (!this.connection) {
        this.connection = await mysql.createConnection({ ...this.options, connectTimeout: 5_000 } as mysql.ConnectionOptions);
        this.connection.on('error', () => undefined);
      }
      if (!this.sql) {
        const [[version]] = await this.connection.query<mysql.RowDataPacket[]>({ sql: 'SELECT VERSION() AS v', timeout: 5_000 });
        this.sql = /mariadb/i.test(String(version?.v)) ? 'SELECT @@GLOBAL.gtid_binlog_pos AS p' : 'SELECT @@GLOBAL.gtid_executed AS p';
      }
      const [[row]] = await this.connection.query<mysql.RowDataPacket[]>({ sql: this.sql, timeout: 5_000 });
      return String(row?.p ?? '').replace(/\s/g, '') as GtidPosition;
    } catch (error) {
      this.connection?.destroy();
      this.connection = null;
      throw error;
    }
  }

  async close(): Promise<void> {
    const c = this.connection;
    this.connection = null;
    await c?.end().catch(() => c.destroy());
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
