import mysql from 'mysql2/promise';
import type { MysqlConnectionOptions } from '@lockstep/core';
import type { LeaderLock } from '../../ports/leader-lock.js';

/**
 * Leader election with a MySQL named lock held by a dedicated connection: the server releases
 * it when the connection dies, so a crashed leader frees it by itself. The lock decides who
 * *should* publish; the Kafka transactional id fence decides who *can*.
 */
export class MysqlLeaderLock implements LeaderLock {
  private connection: mysql.Connection | null = null;
  private pinger: NodeJS.Timeout | null = null;
  private lost = false;

  constructor(
    private readonly options: {
      connection: MysqlConnectionOptions & { ssl?: unknown };
      lockName: string;
      pingIntervalMs: number;
      onLost: (cause: unknown) => void;
    },
  ) {}

  /** Waits for the lock until `shouldStop()` turns true; returns whether it is held. */
  async acquire(shouldStop: () => boolean): Promise<boolean> {
    while (!shouldStop()) {
      try {
        if (!this.connection) {
          this.connection = await mysql.createConnection({
            ...this.options.connection,
            connectTimeout: 5_000,
          } as mysql.ConnectionOptions);
          this.connection.on('error', () => undefined); // surfaced by the next ping/query instead
        }
        // Short waits so a stop request is noticed promptly.
        const [rows] = await this.connection.query<mysql.RowDataPacket[]>(
          { sql: 'SELECT GET_LOCK(?, 2) AS got', timeout: 10_000 },
          [this.options.lockName],
        );
        if (Number(rows[0]?.got) === 1) {
          this.lost = false;
          this.startPinging();
          return true;
        }
      } catch {
        await this.dropConnection();
        await new Promise((r) => setTimeout(r, 1_000)); // MySQL unreachable: back off, then compete again
      }
    }
    return false;
  }

  private startPinging(): void {
    this.stopPinging();
    this.pinger = setInterval(() => {
      const c = this.connection;
      if (!c || this.lost) return;
      c.query<mysql.RowDataPacket[]>(
        { sql: 'SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS mine', timeout: Math.max(2_000, this.options.pingIntervalMs * 3) },
        [this.options.lockName],
      )
        .then(([rows]) => {
          if (Number(rows[0]?.mine) !== 1) this.markLost(new Error('lock no longer held by this connection'));
        })
        .catch((error: unknown) => this.markLost(error));
    }, this.options.pingIntervalMs);
    this.pinger.unref();
  }

  private markLost(cause: unknown): void {
    if (this.lost) return;
    this.lost = true;
    this.stopPinging();
    void this.dropConnection();
    this.options.onLost(cause);
  }

  private stopPinging(): void {
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = null;
  }

  private async dropConnection(): Promise<void> {
    const c = this.connection;
    this.connection = null;
    if (c) c.destroy();
  }

  get held(): boolean {
    return this.connection !== null && this.pinger !== null && !this.lost;
  }

  /** Releases the lock and closes its connection. Never throws. */
  async release(): Promise<void> {
    this.stopPinging();
    const c = this.connection;
    this.connection = null;
    if (!c) return;
    try {
      await c.query({ sql: 'SELECT RELEASE_LOCK(?)', timeout: 2_000 }, [this.options.lockName]);
      await c.end();
    } catch {
      c.destroy();
    }
  }
}
