import { describe, expect, it } from 'vitest';
import { relayUserGrantsSql } from './relay-grants.js';

describe('relayUserGrantsSql', () => {
  it('grants only what the relay needs', () => {
    const sql = relayUserGrantsSql('relay', "pa'ss", 'shop').join(';\n');
    expect(sql).toContain("IDENTIFIED BY 'pa''ss'");
    expect(sql).toContain('GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.*');
    expect(sql).toContain('GRANT SELECT ON `shop`.`lockstep_outbox`');
    expect(sql).toContain('GRANT SELECT, INSERT, UPDATE ON `shop`.`lockstep_relay_checkpoint`');
    expect(sql).not.toMatch(/ALL|SUPER|DELETE/);
  });
});
