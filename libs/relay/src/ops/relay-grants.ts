import { quoteIdent } from '@lockstep/core';

const literal = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/**
 * SQL creating a least-privilege relay user: read the binlog (REPLICATION SLAVE), see binlog
 * files (REPLICATION CLIENT; MariaDB >= 10.5 calls it BINLOG MONITOR and accepts the old name),
 * read the outbox table, and upsert its checkpoint mirror row. Nothing else.
 */
export function relayUserGrantsSql(
  user: string,
  password: string,
  database: string,
  table = 'lockstep_outbox',
  options: { host?: string; checkpointTable?: string | false; flavour?: 'mariadb' | 'mysql' } = {},
): string[] {
  const account = `${literal(user)}@${literal(options.host ?? '%')}`;
  const checkpointTable = options.checkpointTable === undefined ? 'lockstep_relay_checkpoint' : options.checkpointTable;
  const monitor =
    (options.flavour ?? 'mariadb') === 'mariadb' ? 'REPLICATION SLAVE, BINLOG MONITOR' : 'REPLICATION SLAVE, REPLICATION CLIENT';
  const statements = [
    `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${literal(password)}`,
    `GRANT ${monitor} ON *.* TO ${account}`,
    `GRANT SELECT ON ${quoteIdent(database)}.${quoteIdent(table)} TO ${account}`,
  ];
  if (checkpointTable)
    statements.push(`GRANT SELECT, INSERT, UPDATE ON ${quoteIdent(database)}.${quoteIdent(checkpointTable)} TO ${account}`);
  return statements;
}
