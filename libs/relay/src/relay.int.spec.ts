import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaConnectionFromEnv } from '@lockstep/core';
import { Relay } from '@lockstep/relay';
import {
  createRelayTestDatabase,
  dropRelayTestDatabase,
  gtidBinlogPos,
  insertOutboxRows,
  readAllCommitted,
  testOutboxEvent,
  uniqueName,
  waitFor,
  type RelayTestUser,
  type TestDatabase,
} from '@lockstep/testing';

describe('Relay (in process, real MariaDB + Kafka)', () => {
  let db: TestDatabase;
  let relayUser: RelayTestUser;

  beforeAll(async () => {
    ({ db, relayUser } = await createRelayTestDatabase('relay'));
  });
  afterAll(async () => {
    await dropRelayTestDatabase({ db, relayUser });
  });

  it('publishes committed events once with the wire contract, never rolled-back ones, and mirrors the checkpoint', async () => {
    const prefix = uniqueName('lsr');
    const name = uniqueName('relay');
    const admin = await db.admin();
    try {
      const start = await gtidBinlogPos(admin);
      const relay = new Relay({
        name,
        mysql: relayUser.connection,
        kafka: kafkaConnectionFromEnv(process.env),
        topicPrefix: prefix,
        initialPosition: { gtidSet: start },
      });
      await relay.start();
      try {
        const a1 = testOutboxEvent(
          'order',
          'o-1',
          { seq: 1, note: 'héllo' },
          { traceparent: '00-abc-def-01', 'lockstep-correlation-id': 'c-1' },
        );
        const a2 = testOutboxEvent('order', 'o-1', { seq: 2 });
        const b1 = testOutboxEvent('invoice', 'i-9', { seq: 1 });
        const rolledBack = testOutboxEvent('order', 'o-1', { seq: 99 });
        await admin.beginTransaction();
        await insertOutboxRows(admin, [a1, a2]);
        await admin.commit();
        await admin.beginTransaction();
        await insertOutboxRows(admin, [rolledBack]);
        await admin.rollback();
        await insertOutboxRows(admin, [b1]);

        const topics = [`${prefix}.order`, `${prefix}.invoice`];
        const records = await waitFor(
          '3 records',
          async () => {
            const r = await readAllCommitted(topics).catch(() => []);
            return r.length >= 3 ? r : undefined;
          },
          { timeoutMs: 60_000 },
        );
        expect(records.map((r) => r.headers['lockstep-id']).sort()).toEqual([a1.id, a2.id, b1.id].sort());
        const first = records.find((r) => r.headers['lockstep-id'] === a1.id)!;
        expect(first.topic).toBe(`${prefix}.order`);
        expect(first.key).toBe('o-1');
        expect(first.value).toEqual(a1.payload);
        expect(first.headers).toMatchObject({
          'lockstep-type': 'order.changed',
          'lockstep-aggregate-type': 'order',
          'lockstep-aggregate-id': 'o-1',
          traceparent: '00-abc-def-01',
          'lockstep-correlation-id': 'c-1',
        });
        expect(first.headers['lockstep-occurred-at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
        const second = records.find((r) => r.headers['lockstep-id'] === a2.id)!;
        expect(second.partition).toBe(first.partition);
        expect(BigInt(second.offset)).toBeGreaterThan(BigInt(first.offset));

        const mirrored = await waitFor('checkpoint mirror row', async () => {
          const [rows] = await admin.query<RowDataPacket[]>(
            'SELECT gtid_set, events_published FROM lockstep_relay_checkpoint WHERE relay_name = ?',
            [name],
          );
          return rows[0] && Number(rows[0].events_published) >= 3 ? rows[0] : undefined;
        });
        expect(String(mirrored.gtid_set)).toMatch(/^\d+-\d+-\d+/);
      } finally {
        await relay.stop();
      }
      expect(relay.state).toBe('stopped');
    } finally {
      await admin.end();
    }
  });

  it('losing the leader-lock connection stops publishing, re-takes the lock and resumes exactly once', async () => {
    const prefix = uniqueName('lslock');
    const name = uniqueName('relay');
    const admin = await db.admin();
    try {
      const relay = new Relay({
        name,
        mysql: relayUser.connection,
        kafka: kafkaConnectionFromEnv(process.env),
        topicPrefix: prefix,
        initialPosition: { gtidSet: await gtidBinlogPos(admin) },
        lockPingMs: 200,
        logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
      });
      const states: string[] = [];
      relay.on('state', (_from, to) => states.push(to));
      await relay.start();
      try {
        await waitFor('publishing', () => relay.state === 'publishing', { timeoutMs: 60_000 });
        const first = testOutboxEvent('acct', 'a-1', { seq: 1 });
        await insertOutboxRows(admin, [first]);
        await waitFor('first event', () => relay.lastCheckpoint?.lastEventId === first.id, { timeoutMs: 30_000 });

        const [[holder]] = await admin.query<RowDataPacket[]>('SELECT IS_USED_LOCK(?) AS id', [`lockstep-relay:${name}`]);
        await admin.query(`KILL ${Number(holder.id)}`);
        await waitFor(
          'standby after the lock loss',
          () => states.includes('standby') && states.lastIndexOf('standby') > states.indexOf('publishing'),
          { timeoutMs: 30_000 },
        );
        await waitFor('publishing again', () => relay.state === 'publishing', { timeoutMs: 60_000 });
        const second = testOutboxEvent('acct', 'a-1', { seq: 2 });
        await insertOutboxRows(admin, [second]);
        const records = await waitFor(
          'both events',
          async () => {
            const r = await readAllCommitted([`${prefix}.acct`]).catch(() => []);
            return r.length >= 2 ? r : undefined;
          },
          { timeoutMs: 60_000 },
        );
        expect(records.map((r) => r.headers['lockstep-id'])).toEqual([first.id, second.id]);
      } finally {
        await relay.stop();
      }
    } finally {
      await admin.end();
    }
  });
});
