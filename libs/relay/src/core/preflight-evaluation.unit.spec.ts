import { describe, expect, it } from 'vitest';
import { evaluatePreflight, type PreflightFacts } from './preflight-evaluation.js';

const good: PreflightFacts = {
  flavour: 'mariadb',
  variables: {
    log_bin: 'ON',
    binlog_format: 'ROW',
    binlog_row_image: 'FULL',
    binlog_row_metadata: 'FULL',
    binlog_transaction_compression: null,
    gtid_mode: null,
  },
  grants: [
    "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `relay`@`%` IDENTIFIED BY PASSWORD '*X'",
    'GRANT SELECT ON `shop`.`lockstep_outbox` TO `relay`@`%`',
    'GRANT SELECT, INSERT, UPDATE ON `shop`.`lockstep_relay_checkpoint` TO `relay`@`%`',
  ],
  database: 'shop',
  table: 'lockstep_outbox',
  checkpointTable: 'lockstep_relay_checkpoint',
  outboxSelectError: null,
};
const checks = (f: Partial<PreflightFacts> & { vars?: Record<string, string | null> }): string[] =>
  evaluatePreflight({ ...good, ...f, variables: { ...good.variables, ...f.vars } }).map((p) => p.check);

describe('evaluatePreflight', () => {
  it('accepts a correctly configured server and a least-privilege user', () => {
    expect(checks({})).toEqual([]);
  });
  it.each([
    ['log_bin', { log_bin: 'OFF' }],
    ['binlog_format', { binlog_format: 'MIXED' }],
    ['binlog_row_image', { binlog_row_image: 'MINIMAL' }],
    ['binlog_row_metadata', { binlog_row_metadata: 'NO_LOG' }],
  ])('flags %s', (check, vars) => {
    expect(checks({ vars })).toEqual([check]);
  });
  it('flags MySQL compression and gtid_mode', () => {
    expect(checks({ flavour: 'mysql', vars: { binlog_transaction_compression: 'ON', gtid_mode: 'OFF' } })).toEqual([
      'binlog_transaction_compression',
      'gtid_mode',
    ]);
  });
  it('accepts ALL PRIVILEGES and MySQL REPLICATION CLIENT', () => {
    expect(checks({ grants: ['GRANT ALL PRIVILEGES ON *.* TO `root`@`%` WITH GRANT OPTION'] })).toEqual([]);
    expect(
      checks({
        grants: [
          'GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `r`@`%`',
          'GRANT SELECT, INSERT, UPDATE ON `shop`.* TO `r`@`%`',
        ],
      }),
    ).toEqual([]);
  });
  it('flags each missing grant, and an unreadable outbox table, with a fix', () => {
    const problems = evaluatePreflight({ ...good, grants: [], outboxSelectError: 'SELECT command denied' });
    expect(problems.map((p) => p.check)).toEqual([
      'grant REPLICATION SLAVE',
      'grant REPLICATION CLIENT',
      'outbox table',
      'grant SELECT on lockstep_relay_checkpoint',
      'grant INSERT on lockstep_relay_checkpoint',
      'grant UPDATE on lockstep_relay_checkpoint',
    ]);
    expect(problems.every((p) => p.fix.length > 10)).toBe(true);
  });
  it('flags a database the user may not use, with the GRANT that fixes it', () => {
    const problems = evaluatePreflight({
      ...good,
      connectionDatabaseError: { database: 'shop', message: "Access denied for user 'relay'@'%' to database 'shop'" },
    });
    expect(problems.map((p) => p.check)).toEqual(['database access']);
    expect(problems[0]?.fix).toContain('GRANT SELECT ON `shop`.`lockstep_outbox` TO <relay user>');
  });
});
