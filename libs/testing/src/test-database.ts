import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { formatMysqlUrl, mysqlUrlFromEnv, parseMysqlUrl, type MysqlConnectionOptions } from '@lockstep/core';

/** A throw-away database on the test server, so test files never see each other's rows. */
export interface TestDatabase {
  readonly name: string;
  readonly options: MysqlConnectionOptions;
  readonly url: string;
  /** A connection as the admin user, with this database selected. */
  admin(): Promise<mysql.Connection>;
  drop(): Promise<void>;
}

/** `url`: another server than the test server of LOCKSTEP_MYSQL_URL (an admin account on it). */
export async function createTestDatabase(
  prefix = 't',
  { url = mysqlUrlFromEnv(process.env) }: { url?: string } = {},
): Promise<TestDatabase> {
  const base = parseMysqlUrl(url);
  const name = `lockstep_${prefix}_${randomBytes(4).toString('hex')}`;
  const root = await mysql.createConnection({ ...base, database: undefined });
  try {
    await root.query(`CREATE DATABASE \`${name}\``);
  } finally {
    await root.end();
  }
  const options = { ...base, database: name };
  return {
    name,
    options,
    url: formatMysqlUrl(options),
    admin: () =>
      mysql.createConnection({ ...options, multipleStatements: true, supportBigNumbers: true, bigNumberStrings: true }),
    async drop() {
      const c = await mysql.createConnection({ ...base, database: undefined });
      try {
        await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await c.end();
      }
    },
  };
}
