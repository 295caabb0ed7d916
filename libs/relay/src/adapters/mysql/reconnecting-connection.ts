import mysql from 'mysql2/promise';
import type { MysqlConnectionOptions } from '@lockstep/core';

/**
 * One MySQL connection for small background jobs (checkpoint mirror, binlog end and retention
 * reads): opened on first use, thrown away after any error so the next use starts on a fresh one.
 * Concurrent users share it (mysql2 queues their queries).
 */
export class ReconnectingConnection {
  private connection: Promise<mysql.Connection> | null = null;

  constructor(private readonly options: MysqlConnectionOptions & { ssl?: unknown }) {}

  async use<T>(work: (c: mysql.Connection) => Promise<T>): Promise<T> {
    // Kept as a promise, so two first uses at once open one connection, not two.
    const connecting = (this.connection ??= mysql
      .createConnection({ ...this.options, connectTimeout: 5_000 } as mysql.ConnectionOptions)
      .then((c) => {
        c.on('error', () => undefined); // surfaced by the next query instead
        return c;
      }));
    try {
      return await work(await connecting);
    } catch (error) {
      if (this.connection === connecting) this.connection = null;
      await connecting.then(
        (c) => c.destroy(),
        () => undefined,
      );
      throw error;
    }
  }

  async close(): Promise<void> {
    const connecting = this.connection;
    this.connection = null;
    const c = await connecting?.catch(() => null);
    await c?.end().catch(() => c.destroy());
  }
}
