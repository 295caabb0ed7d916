import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMysqlUrl } from '@lockstep/core';
import { relayUserGrantsSql } from '@lockstep/relay';
import {
  applyLockstepSchema,
  createTestDatabase,
  gtidBinlogPos,
  insertOutboxRows,
  readAllCommitted,
  spawnRelayProcess,
  testOutboxEvent,
  uniqueName,
  waitFor,
  type RelayProcess,
  type TestDatabase,
} from '@lockstep/testing';
import { createPrivateMariaDb, type PrivateMariaDb } from './fixtures/private-mariadb.js';

/**
 * The relay process with LOCKSTEP_MYSQL_SSL / LOCKSTEP_MYSQL_SSL_CA against a MariaDB that serves
 * TLS, as a relay user created with REQUIRE SSL: the lock, the mirror and the binlog stream can
 * only work if every connection really is encrypted and the server certificate verified.
 */
describe('relay over TLS to MySQL (a private MariaDB with TLS)', () => {
  let server: PrivateMariaDb;
  let db: TestDatabase;
  let relayUrl: string;
  let relay: RelayProcess | null = null;
  const user = `relay_tls_${randomBytes(3).toString('hex')}`;
  const password = randomBytes(9).toString('hex');

  beforeAll(async () => {
    server = await createPrivateMariaDb({ tls: true });
    await server.up();
    db = await createTestDatabase('relaytls', { url: server.url });
    await applyLockstepSchema(db);
    const admin = await db.admin();
    try {
      for (const sql of relayUserGrantsSql(user, password, db.name)) await admin.query(sql);
      await admin.query(`ALTER USER '${user}'@'%' REQUIRE SSL`);
    } finally {
      await admin.end();
    }
    relayUrl = formatMysqlUrl({ ...db.options, user, password });
  }, 240_000);
  afterAll(async () => {
    await relay?.kill9();
    await server?.down();
  }, 120_000);

  it('the relay user cannot connect without TLS (so the test below proves TLS)', async () => {
    const error = await mysql.createConnection({ ...db.options, user, password }).then(
      (c) => c.end().then(() => null),
      (e: unknown) => e as { errno?: number },
    );
    expect(error?.errno).toBe(1045); // access denied: REQUIRE SSL
  });

  it('publishes over TLS with the CA from LOCKSTEP_MYSQL_SSL_CA', { timeout: 180_000 }, async () => {
    const prefix = uniqueName('lstls');
    const admin = await db.admin();
    try {
      relay = spawnRelayProcess(
        {
          LOCKSTEP_MYSQL_URL: relayUrl,
          LOCKSTEP_MYSQL_SSL: 'true',
          LOCKSTEP_MYSQL_SSL_CA: server.caFile!,
          LOCKSTEP_RELAY_NAME: prefix,
          LOCKSTEP_TOPIC_PREFIX: prefix,
          LOCKSTEP_RELAY_INITIAL_GTID: await gtidBinlogPos(admin),
        },
        join(tmpdir(), `${prefix}-relay.log`),
      );
      await relay.waitForOutput(/starting -> publishing/, 120_000);
      const events = [testOutboxEvent('acct', 'a-1', { seq: 1 }), testOutboxEvent('acct', 'a-1', { seq: 2 })];
      await insertOutboxRows(admin, events);
      const records = await waitFor(
        'both events',
        async () => {
          const r = await readAllCommitted([`${prefix}.acct`]).catch(() => []);
          return r.length >= 2 ? r : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(records.map((r) => r.headers['lockstep-id'])).toEqual(events.map((e) => e.id));
      // The mirror (a TLS connection of its own) caught up too.
      await waitFor(
        'the checkpoint mirror',
        async () => {
          const [[row]] = await admin.query<mysql.RowDataPacket[]>(
            'SELECT MAX(events_published) AS n FROM lockstep_relay_checkpoint',
          );
          return Number(row?.n ?? 0) >= 2;
        },
        { timeoutMs: 30_000 },
      );
      expect(await relay.terminate()).toBe(0);
      expect(relay.output()).not.toContain(password);
    } finally {
      await admin.end();
    }
  });
});
