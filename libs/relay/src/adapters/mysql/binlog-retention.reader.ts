import type mysql from 'mysql2/promise';
import type { BinlogRetentionFacts } from '../../core/purge-risk.js';

/** SHOW BINARY LOGS and the expiry setting, for the purge-risk warning (see assessPurgeRisk). */
export async function readBinlogRetention(c: mysql.Connection): Promise<BinlogRetentionFacts> {
  const [logs] = await c.query<mysql.RowDataPacket[]>('SHOW BINARY LOGS');
  const [vars] = await c.query<mysql.RowDataPacket[]>(
    "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('binlog_expire_logs_seconds', 'expire_logs_days')",
  );
  const v = Object.fromEntries(vars.map((r) => [String(r.Variable_name), Number(r.Value)]));
  const expireSeconds = v.binlog_expire_logs_seconds
    ? v.binlog_expire_logs_seconds
    : v.expire_logs_days
      ? v.expire_logs_days * 86_400
      : null;
  return { files: logs.map((r) => String(r.Log_name)), expireSeconds };
}
