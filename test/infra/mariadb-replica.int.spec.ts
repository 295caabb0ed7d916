import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '@lockstep/testing';

const execFileAsync = promisify(execFile);

/**
 * LOCKSTEP_LOCAL_MYSQL_REPLICA=1: the infra script starts a GTID replica of the private
 * MariaDB on the next port, and `promote-replica` makes it a writable primary that continues
 * the same GTID history. A home and ports of its own (3347/3348): the shared servers are not
 * touched.
 */
describe('scripts/infra/lockstep-infra.sh with LOCKSTEP_LOCAL_MYSQL_REPLICA=1', () => {
  const home = mkdtempSync(join(tmpdir(), 'lockstep-replica-'));
  const primaryPort = 3347;
  const replicaPort = primaryPort + 1;
  const env = {
    ...process.env,
    LOCKSTEP_HOME: home,
    LOCKSTEP_LOCAL_MYSQL_PORT: String(primaryPort),
    LOCKSTEP_LOCAL_MYSQL_REPLICA: '1',
    LOCKSTEP_MYSQL_URL: '',
  };
  const infra = (...args: string[]) =>
    execFileAsync('bash', ['scripts/infra/lockstep-infra.sh', ...args], { env, timeout: 120_000 });
  const connect = (port: number) =>
    mysql.createConnection({ host: '127.0.0.1', port, user: 'lockstep', password: 'lockstep', database: 'lockstep' });
  const one = async <T>(c: Connection, sql: string, params: unknown[] = []): Promise<T> => {
    const [rows] = await c.query<RowDataPacket[]>(sql, params);
    return Object.values(rows[0])[0] as T;
  };
  const pidOf = (name: string) => Number(readFileSync(join(home, 'run', `${name}.pid`), 'utf8'));
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const opened: Connection[] = [];

  afterAll(async () => {
    await Promise.all(opened.map((c) => c.end().catch(() => undefined)));
    await infra('down', 'mariadb').catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  });

  it(
    'replicates with GTIDs and log_slave_updates, is read-only until promoted, and is promoted after the primary is killed',
    { timeout: 90_000 },
    async () => {
      const up = await infra('up', 'mariadb');
      expect(up.stderr).toMatch(/replicating the primary's whole binlog history/);
      expect(up.stdout).toContain(`127.0.0.1:${replicaPort}/lockstep`);
      const pids = [pidOf('mariadb'), pidOf('mariadb-replica')];
      expect(pids.every(alive)).toBe(true);
      expect((await infra('status', 'mariadb')).stdout).toMatch(
        /mariadb: up[\s\S]*mariadb-replica: up .*role=replica read_only=ON io=Yes sql=Yes/,
      );

      const primary = await connect(primaryPort);
      opened.push(primary);
      const replica = await connect(replicaPort); // the lockstep user replicated from the primary
      opened.push(replica);

      const [vars] = await replica.query<RowDataPacket[]>(
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('server_id','log_bin','log_slave_updates','binlog_format','binlog_row_image','binlog_row_metadata','read_only','gtid_strict_mode')",
      );
      expect(Object.fromEntries(vars.map((r) => [r.Variable_name as string, r.Value as string]))).toEqual({
        server_id: '2',
        log_bin: 'ON',
        log_slave_updates: 'ON',
        binlog_format: 'ROW',
        binlog_row_image: 'FULL',
        binlog_row_metadata: 'FULL',
        read_only: 'ON',
        gtid_strict_mode: 'ON',
      });
      expect(await one(primary, 'SELECT @@server_id')).toBe(1);
      const [grants] = await primary.query<RowDataPacket[]>("SHOW GRANTS FOR 'lockstep_repl'@'127.0.0.1'");
      expect(grants.map((g) => Object.values(g)[0] as string).join('\n')).toMatch(
        /^GRANT REPLICATION SLAVE ON \*\.\* TO `lockstep_repl`@`127\.0\.0\.1`/,
      );

      // A row written on the primary appears on the replica, with the primary's GTID.
      await primary.query('CREATE TABLE replicated (id INT PRIMARY KEY, note VARCHAR(64))');
      await primary.query("INSERT INTO replicated VALUES (1, 'written on the primary')");
      const primaryPos = await one<string>(primary, 'SELECT @@gtid_binlog_pos');
      expect(primaryPos).toMatch(/^0-1-\d+$/);
      await waitFor(
        'the row on the replica',
        async () => (await one<number>(replica, 'SELECT COUNT(*) FROM replicated WHERE id = 1')) === 1,
        { timeoutMs: 10_000 },
      );
      await waitFor(
        "the replica's gtid_slave_pos to reach the primary's gtid_binlog_pos",
        async () => (await one<string>(replica, 'SELECT @@gtid_slave_pos')) === primaryPos,
        { timeoutMs: 10_000 },
      );
      // log_slave_updates: the replica's own binlog has the row event, under the primary's GTID.
      expect(await one<string>(replica, 'SELECT @@gtid_binlog_pos')).toBe(primaryPos);
      const events: RowDataPacket[] = [];
      const [logs] = await replica.query<RowDataPacket[]>('SHOW BINARY LOGS');
      for (const log of logs) {
        const [rows] = await replica.query<RowDataPacket[]>('SHOW BINLOG EVENTS IN ?', [log.Log_name]);
        events.push(...rows);
      }
      expect(events.some((e) => e.Event_type === 'Write_rows_v1' && e.Server_id === 1)).toBe(true);
      expect(events.some((e) => e.Event_type === 'Gtid' && e.Server_id === 1)).toBe(true);

      // Read-only until promoted: the app user cannot write there (which would fork the history).
      await expect(replica.query("INSERT INTO replicated VALUES (2, 'too early')")).rejects.toMatchObject({ errno: 1290 });

      // The primary dies (kill -9); the replica is promoted in its place.
      expect(await one<number>(primary, 'SELECT COUNT(*) FROM replicated')).toBe(1);
      await primary.end();
      opened.splice(opened.indexOf(primary), 1);
      process.kill(pids[0], 'SIGKILL');
      await waitFor('the primary to be gone', () => !alive(pids[0]), { timeoutMs: 10_000 });
      expect((await infra('status', 'mariadb')).stdout).toMatch(/mariadb: down[\s\S]*mariadb-replica: up .*role=replica/);

      const promoted = await infra('promote-replica');
      expect(promoted.stdout).toContain(`LOCKSTEP_MYSQL_URL=mysql://lockstep:lockstep@127.0.0.1:${replicaPort}/lockstep`);
      expect(existsSync(join(home, 'mariadb-replica', 'promoted'))).toBe(true);
      expect(await one<number>(replica, 'SELECT @@read_only')).toBe(0);
      const [slaves] = await replica.query<RowDataPacket[]>('SHOW SLAVE STATUS');
      expect(slaves).toHaveLength(0);
      expect((await infra('status', 'mariadb')).stdout).toMatch(/mariadb-replica: up .*role=promoted read_only=OFF/);

      // Writes accepted, and its GTIDs continue the primary's sequence in the same domain.
      await replica.query("INSERT INTO replicated VALUES (2, 'written on the promoted replica')");
      const lastSeq = Number(primaryPos.split('-')[2]);
      expect(await one<string>(replica, 'SELECT @@gtid_slave_pos')).toBe(primaryPos); // nothing lost in the promotion
      expect(await one<string>(replica, 'SELECT @@gtid_binlog_pos')).toBe(`0-2-${lastSeq + 1}`);
      expect(await one<number>(replica, 'SELECT COUNT(*) FROM replicated')).toBe(2);

      await Promise.all(opened.splice(0).map((c) => c.end()));
      await infra('down', 'mariadb');
      expect(pids.some(alive)).toBe(false);
      expect((await infra('status', 'mariadb')).stdout).toMatch(/mariadb: down[\s\S]*mariadb-replica: down .*role=promoted/);
    },
  );
});
