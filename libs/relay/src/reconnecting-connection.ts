import mysql from 'mysql2/promise';
import type { MysqlConnectionOptions } from '@lockstep/core';

/**
 * One MySQL connection for a small background job (checkpoint mirror, binlog end probe): opened
 * on first use, thrown away after any error so the next use starts on a fresh one.
 */
export class ReconnectingConnection {
  private connection: mysql.Connection | null = null;

  constructor(private readonly options: MysqlConnectionOptions & { ssl?: unknown }) {}

  async use<T>(work: (c: mysql.Connection) => Promise<T>): Promise<T> {
    try {
      if (!this.connection) {
        this.connection = await mysql.createConnection({ ...this.options, connectTimeout: 5_000 } as mysql.ConnectionOptions);
        this.connection.on('error', () => undefined); // surfaced by the next query instead
      }
      return await work(this.connection);
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
