import mysql from 'mysql2/promise';
import type { MysqlConnectionOptions } from '@lockstep/core';
import { evaluatePreflight, type PreflightFacts } from '../../core/preflight-evaluation.js';
import { RelayPreflightError } from '../../core/relay.errors.js';

/** Reads the facts from the server (as the relay user). */
export async function gatherPreflightFacts(
  connection: MysqlConnectionOptions & { ssl?: unknown },
  target: { database: string; table: string; checkpointTable: string | false },
): Promise<PreflightFacts> {
  const c = await mysql.createConnection({ ...connection, connectTimeout: 5_000 } as mysql.ConnectionOptions);
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
    return { flavour, variables, grants, ...target, outboxSelectError };
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
