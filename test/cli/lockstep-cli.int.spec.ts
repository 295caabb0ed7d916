import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMysqlUrl, uuidv7Bytes } from '@lockstep/core';
import {
  applyLockstepSchema,
  assertCliBuilt,
  createTestDatabase,
  LOCKSTEP_CLI,
  readAllCommitted,
  uniqueName,
  type TestDatabase,
} from '@lockstep/testing';

const execFileAsync = promisify(execFile);

/** The built `lockstep` CLI (what `npx lockstep` runs) against the real servers. */
describe('lockstep CLI', () => {
  let db: TestDatabase;
  const cli = async (args: string[], mysqlUrl: string, env: Record<string, string> = {}) => {
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, [LOCKSTEP_CLI, ...args], {
        env: { ...process.env, LOCKSTEP_MYSQL_URL: mysqlUrl, ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code as number, stdout: String(failed.stdout), stderr: String(failed.stderr) };
    }
  };

  beforeAll(async () => {
    assertCliBuilt();
    db = await createTestDatabase('cli');
    await applyLockstepSchema(db);
  });
  afterAll(async () => {
    const c = await db.admin();
    await c.query("DROP USER IF EXISTS 'lockstep_cli_weak'@'%'");
    await c.end();
    await db.drop();
  });

  it('every command has --help (exit 0); an unknown command or flag prints the usage and exits 2', async () => {
    for (const command of ['relay', 'migrate', 'doctor', 'status', 'replay', 'dlq']) {
      const help = await cli([command, '--help'], db.url);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toContain(`usage: lockstep ${command}`);
    }
    const overview = await cli(['--help'], db.url);
    expect(overview.code).toBe(0);
    expect(overview.stdout).toMatch(/relay .*\n.*migrate/s);
    const unknownCommand = await cli(['publish'], db.url);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toContain('unknown command "publish"');
    const badFlag = await cli(['status', '--verbose'], db.url);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("Unknown option '--verbose'");
    expect(badFlag.stderr).toContain('usage: lockstep status');
    const badValue = await cli(['migrate', '--only', 'inbox'], db.url);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain('--only takes outbox, consumer, relay');
  });

  it('migrate creates every Lockstep table in an empty database, then has nothing left to do', async () => {
    const empty = await createTestDatabase('climig');
    try {
      const listed = await cli(['migrate', '--list'], empty.url);
      expect(listed.code).toBe(0);
      expect(listed.stdout.match(/^pending /gm)?.length).toBe(4);
      const first = await cli(['migrate'], empty.url);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toContain('4 migration(s) applied');
      const c = await empty.admin();
      const [tables] = (await c.query('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? ORDER BY 1', [
        empty.name,
      ])) as [Array<{ t: string }>, unknown];
      await c.end();
      expect(tables.map((r) => r.t)).toEqual(
        expect.arrayContaining([
          'lockstep_outbox',
          'lockstep_inbox',
          'lockstep_consumer_offsets',
          'lockstep_relay_checkpoint',
          'lockstep_consumer_parked',
          'lockstep_consumer_dead_letters',
          'lockstep_migrations',
        ]),
      );
      const again = await cli(['migrate'], empty.url);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('Lockstep tables are up to date');
    } finally {
      await empty.drop();
    }
  });

  it('doctor passes on a correctly set up server and broker', async () => {
    const result = await cli(['doctor'], db.url);
    expect(result.stdout).toContain('all checks passed');
    expect(result.code).toBe(0);
  });

  it('doctor fails with the fix when the user cannot read the binlog', async () => {
    const c = await db.admin();
    await c.query("CREATE USER IF NOT EXISTS 'lockstep_cli_weak'@'%' IDENTIFIED BY 'weak-pass'");
    await c.query(`GRANT SELECT ON \`${db.name}\`.* TO 'lockstep_cli_weak'@'%'`);
    await c.end();
    const result = await cli(['doctor'], formatMysqlUrl({ ...db.options, user: 'lockstep_cli_weak', password: 'weak-pass' }));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✗ the relay user cannot read the binlog');
    expect(result.stdout).toMatch(/fix: .*REPLICATION SLAVE/);
    expect(result.stdout).toContain('fix: ');
  });

  it('status shows each relay checkpoint and the events written after it', async () => {
    const c = await db.admin();
    await c.query(
      "INSERT INTO lockstep_relay_checkpoint (relay_name, gtid_set, events_published, last_event_created_at, updated_at) VALUES ('cli-relay', '0-1-5', 7, '2026-01-01 00:00:00.000000', UTC_TIMESTAMP(6))",
    );
    for (const created of ['2025-12-31 23:59:59.000000', '2026-01-01 00:00:01.000000', '2026-01-01 00:00:02.500000']) {
      await c.query(
        "INSERT INTO lockstep_outbox (id, aggregate_type, aggregate_id, event_type, payload, headers, created_at) VALUES (?, 'a', '1', 't', ?, '{}', ?)",
        [uuidv7Bytes(), Buffer.from('{"x":1}'), created],
      );
    }
    await c.end();
    const result = await cli(['status'], db.url);
    expect(result.code).toBe(0);
    const row = /\| cli-relay \| 0-1-5 \| 7 \| 2 \| 14 \| (\d+) \| 2\.500 \|/.exec(result.stdout);
    expect(row, result.stdout).not.toBeNull();
    // Binlog transactions after 0-1-5: at least the four this test committed (other tests' too).
    expect(Number(row![1])).toBeGreaterThanOrEqual(4);
  });

  it('replay --after-checkpoint re-publishes the rows after the relay checkpoint; --dry-run only counts them', async () => {
    const c = await db.admin();
    const ids = [uuidv7Bytes(), uuidv7Bytes(), uuidv7Bytes()];
    for (const id of ids) {
      await c.query(
        "INSERT INTO lockstep_outbox (id, aggregate_type, aggregate_id, event_type, payload, headers, created_at) VALUES (?, 'cart', 'c-1', 'cart.changed', ?, '{}', UTC_TIMESTAMP(6))",
        [id, Buffer.from('{"secret":"never printed"}')],
      );
    }
    await c.query(
      "INSERT INTO lockstep_relay_checkpoint (relay_name, gtid_set, last_event_id, events_published, updated_at) VALUES ('cli-replay', '0-1-1', ?, 1, UTC_TIMESTAMP(6))",
      [ids[0]],
    );
    await c.end();
    const prefix = uniqueName('lscli');

    const dry = await cli(['replay', '--after-checkpoint', 'cli-replay', '--margin-seconds', '0', '--dry-run'], db.url, {
      LOCKSTEP_TOPIC_PREFIX: prefix,
    });
    expect(dry.stdout).toContain('dry run: would re-publish 2 events');
    expect(dry.code).toBe(0);
    const real = await cli(['replay', '--after-checkpoint', 'cli-replay', '--margin-seconds', '0'], db.url, {
      LOCKSTEP_TOPIC_PREFIX: prefix,
    });
    expect(real.stdout).toContain(`re-published 2 events`);
    expect(real.stdout).toContain(`to ${prefix}.cart`);
    expect(real.stdout).not.toContain('never printed');
    expect(real.code).toBe(0);
    expect((await readAllCommitted([`${prefix}.cart`])).length).toBe(2);

    const unknown = await cli(['replay', '--after-checkpoint', 'no-such-relay'], db.url);
    expect(unknown.code).toBe(1);
    const neither = await cli(['replay'], db.url);
    expect(neither.code).toBe(2);
  });
});
