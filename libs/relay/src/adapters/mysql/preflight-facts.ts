import mysql from 'mysql2/promise';
import type { MysqlConnectionOptions } from '@lockstep/core';
import { evaluatePreflight, type PreflightFacts } from '../../core/preflight-evaluation.js';
import { RelayPreflightError } from '../../core/relay.errors.js';

const ER_DBACCESS_DENIED = 1044;
const ER_ACCESS_DENIED = 1045;

const errnoOf = (error: unknown): number | undefined => (error as { errno?: number } | null)?.errno;

/**
 * Connects as the relay user. A refused database (1044) is a missing grant, not a reason to stop
 * looking: the facts are then read without a database, so the operator gets every fix at once. A
 * refused login (1045) cannot be looked into further: it becomes a preflight problem with its fix.
 */
async function connectForPreflight(
  connection: MysqlConnectionOptions & { ssl?: unknown },
): Promise<{ c: mysql.Connection; connectionDatabaseError: PreflightFacts['connectionDatabaseError'] }> {
  const options = { ...connection, connectTimeout: 5_000 } as mysql.ConnectionOptions;
  try {
    return { c: await mysql.createConnection(options), connectionDatabaseError: null };
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === ER_DBACCESS_DENIED && connection.database) {
      const c = await mysql.createConnection({ ...options, database: undefined });
      return { c, connectionDatabaseError: { database: connection.database, message: (error as Error).message } };
    }
    if (errno === ER_ACCESS_DENIED) {
      throw new RelayPreflightError([
        {
          check: 'login',
          message: `the server refused the relay user's login: ${(error as Error).message}`,
          fix: 'check the user and password in LOCKSTEP_MYSQL_URL; create the relay user with its grants as in scripts/sql/create-relay-user.sql',
        },
      ]);
    }
    throw error;
  }
}

/** Reads the facts from the server (as the relay user). */
export async function gatherPreflightFacts(
  connection: MysqlConnectionOptions & { ssl?: unknown },
  target: { database: string; table: string; checkpointTable: string | false },
): Promise<PreflightFacts> {
  const { c, connectionDatabaseError } = await connectForPreflight(connection);
  try {
    const [[version]] = await c.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
    const flavour = /mariadb/i.test(String(version?.v)) ? 'mariadb' : 'mysql';
    const names = [
      'log_bin',
      'binlog_format',
      'binlog_row_image',
      'binlog_row_metadata',
      'binlog_transaction_compression',
      'gtid_mode',
    ];
    const [rows] = await c.query<mysql.RowDataPacket[]>(
      `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names.map(() => '?').join(',')})`,
      names,
    );
    const variables: Record<string, string | null> = Object.fromEntries(names.map((n) => [n, null]));
    for (const r of rows) variables[String(r.Variable_name)] = String(r.Value);
    const [grantRows] = await c.query<mysql.RowDataPacket[]>('SHOW GRANTS FOR CURRENT_USER()');
    const grants = grantRows.map((r) => String(Object.values(r)[0]));
    let outboxSelectError: string | null = null;
    try {
      await c.query(`SELECT 1 FROM \`${target.database}\`.\`${target.table}\` LIMIT 0`);
    } catch (error) {
      outboxSelectError = (error as Error).message;
    }
    return { flavour, variables, grants, ...target, outboxSelectError, connectionDatabaseError };
  } finally {
    await c.end().catch(() => c.destroy());
  }
}

/** Throws RelayPreflightError listing every problem with its fix; resolves when the relay may start. */
export async function runPreflight(
  connection: MysqlConnectionOptions & { ssl?: unknown },
  target: { database: string; table: string; checkpointTable: string | false },
): Promise<void> {
  const problems = evaluatePreflight(await gatherPreflightFacts(connection, target));
  if (problems.length > 0) throw new RelayPreflightError(problems);
}
