/** What the relay needs to know about the server before it may start. */
export interface PreflightFacts {
  flavour: 'mariadb' | 'mysql';
  variables: Record<string, string | null>;
  /** SHOW GRANTS lines of the relay user. */
  grants: string[];
  database: string;
  table: string;
  checkpointTable: string | false;
  /** Null when the outbox table could be read; else the server's error message. */
  outboxSelectError: string | null;
  /**
   * Set when the server refused the database named in the connection (errno 1044, "Access denied
   * for user ... to database"): the facts were then read on a connection without a database.
   */
  connectionDatabaseError?: { database: string; message: string } | null;
}

export interface PreflightProblem {
  check: string;
  message: string;
  fix: string;
}

const upper = (v: string | null | undefined): string => (v ?? '').toUpperCase();

/** Grant lines cover a privilege on `db.table` (global, database or table level; ALL counts). */
function hasPrivilege(grants: string[], privilege: string, db?: string, table?: string): boolean {
  const p = privilege.toUpperCase();
  return grants.some((line) => {
    const m = /^GRANT (.+?) ON (\S+) TO /i.exec(line.trim());
    if (!m) return false;
    const privs = m[1]
      .toUpperCase()
      .split(',')
      .map((s) => s.trim().replace(/\s*\(.*\)$/, ''));
    const target = m[2].replace(/`/g, '');
    const covers =
      target === '*.*' || (db !== undefined && (target === `${db}.*` || (table !== undefined && target === `${db}.${table}`)));
    return covers && (privs.includes(p) || privs.includes('ALL PRIVILEGES') || privs.includes('ALL'));
  });
}

/** Pure: the list of problems for the given facts (empty = fine). */
export function evaluatePreflight(f: PreflightFacts): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  const v = f.variables;
  const cnf = f.flavour === 'mariadb' ? 'my.cnf [mariadbd]' : 'my.cnf [mysqld]';
  if (upper(v.log_bin) !== 'ON' && v.log_bin !== '1') {
    problems.push({
      check: 'log_bin',
      message: 'the binary log is off',
      fix: `set log_bin=<path> and server_id in ${cnf}, then restart the server`,
    });
  }
  if (upper(v.binlog_format) !== 'ROW') {
    problems.push({
      check: 'binlog_format',
      message: `binlog_format is ${v.binlog_format}, must be ROW`,
      fix: `SET PERSIST/GLOBAL binlog_format=ROW (and binlog_format=ROW in ${cnf})`,
    });
  }
  if (upper(v.binlog_row_image) !== 'FULL') {
    problems.push({
      check: 'binlog_row_image',
      message: `binlog_row_image is ${v.binlog_row_image}, must be FULL`,
      fix: `SET GLOBAL binlog_row_image=FULL (and binlog_row_image=FULL in ${cnf})`,
    });
  }
  if (upper(v.binlog_row_metadata) !== 'FULL') {
    problems.push({
      check: 'binlog_row_metadata',
      message: `binlog_row_metadata is ${v.binlog_row_metadata ?? 'unsupported'}, must be FULL`,
      fix: `SET GLOBAL binlog_row_metadata=FULL (and in ${cnf}); needs MySQL >= 8.0 or MariaDB >= 10.5`,
    });
  }
  if (f.flavour === 'mysql') {
    if (upper(v.binlog_transaction_compression) === 'ON') {
      problems.push({
        check: 'binlog_transaction_compression',
        message: 'compressed transactions cannot be decoded by the relay',
        fix: 'SET GLOBAL binlog_transaction_compression=OFF (and in my.cnf)',
      });
    }
    if (upper(v.gtid_mode) !== 'ON') {
      problems.push({
        check: 'gtid_mode',
        message: `gtid_mode is ${v.gtid_mode}, must be ON`,
        fix: 'set gtid_mode=ON and enforce_gtid_consistency=ON in my.cnf',
      });
    }
  }
  if (!hasPrivilege(f.grants, 'REPLICATION SLAVE') && !hasPrivilege(f.grants, 'REPLICATION REPLICA')) {
    problems.push({
      check: 'grant REPLICATION SLAVE',
      message: 'the relay user cannot read the binlog',
      fix: 'GRANT REPLICATION SLAVE ON *.* TO <relay user> (see scripts/sql/create-relay-user.sql)',
    });
  }
  if (!hasPrivilege(f.grants, 'REPLICATION CLIENT') && !hasPrivilege(f.grants, 'BINLOG MONITOR')) {
    problems.push({
      check: 'grant REPLICATION CLIENT',
      message: 'the relay user cannot run SHOW BINARY LOGS',
      fix: `GRANT ${f.flavour === 'mariadb' ? 'BINLOG MONITOR' : 'REPLICATION CLIENT'} ON *.* TO <relay user>`,
    });
  }
  if (f.connectionDatabaseError) {
    const { database, message } = f.connectionDatabaseError;
    problems.push({
      check: 'database access',
      message: `the relay user may not use database ${database} (LOCKSTEP_MYSQL_URL): ${message}`,
      fix:
        database === f.database
          ? `GRANT SELECT ON \`${f.database}\`.\`${f.table}\` TO <relay user> (every grant the relay needs: scripts/sql/create-relay-user.sql)`
          : `name a database the relay user may use in LOCKSTEP_MYSQL_URL, or GRANT it access to \`${database}\` (scripts/sql/create-relay-user.sql)`,
    });
  }
  if (f.outboxSelectError) {
    problems.push({
      check: 'outbox table',
      message: `cannot read ${f.database}.${f.table}: ${f.outboxSelectError}`,
      fix: `run the Lockstep migrations, then GRANT SELECT ON \`${f.database}\`.\`${f.table}\` TO <relay user>`,
    });
  }
  if (f.checkpointTable) {
    for (const p of ['SELECT', 'INSERT', 'UPDATE']) {
      if (!hasPrivilege(f.grants, p, f.database, f.checkpointTable)) {
        problems.push({
          check: `grant ${p} on ${f.checkpointTable}`,
          message: `the relay user lacks ${p} on ${f.database}.${f.checkpointTable} (checkpoint mirror)`,
          fix: `GRANT SELECT, INSERT, UPDATE ON \`${f.database}\`.\`${f.checkpointTable}\` TO <relay user>`,
        });
      }
    }
  }
  return problems;
}
