import mysql from 'mysql2/promise';
import type { MysqlConnectionOptions } from '@lockstep/core';
import type { GtidPosition } from '../../core/relay-checkpoint.js';

/** The server's current end of binlog as a GTID position (MariaDB `gtid_binlog_pos`, MySQL `gtid_executed`). */
export async function readBinlogEnd(c: mysql.Connection): Promise<GtidPosition> {
  const [[version]] = await c.query<mysql.RowDataPacket[]>({ sql: 'SELECT VERSION() AS v', timeout: 5_000 });
  const sql = /mariadb/i.test(String(version?.v)) ? 'SELECT @@GLOBAL.gtid_binlog_pos AS p' : 'SELECT @@GLOBAL.gtid_executed AS p';
  const [[row]] = await c.query<mysql.RowDataPacket[]>({ sql, timeout: 5_000 });
  return String(row?.p ?? '').replace(/\s/g, '') as GtidPosition;
}

/** The server's current end of binlog, on a short-lived connection. */
export async function currentGtidPosition(connection: MysqlConnectionOptions & { ssl?: unknown }): Promise<GtidPosition> {
  const c = await mysql.createConnection({ ...connection, connectTimeout: 5_000 } as mysql.ConnectionOptions);
  try {
    return await readBinlogEnd(c);
  } finally {
    await c.end().catch(() => c.destroy());
  }
}
