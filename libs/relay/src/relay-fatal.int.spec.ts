import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaConnectionFromEnv } from '@lockstep/core';
import { BinlogPurgedError, InvalidTopicError, Relay, RelayPreflightError, runPreflight } from '@lockstep/relay';
import {
  createRelayTestDatabase,
  createTopics,
  dropRelayTestDatabase,
  insertOutboxRows,
  readAllCommitted,
  testKafka,
  testOutboxEvent,
  uniqueName,
  waitFor,
  type RelayTestUser,
  type TestDatabase,
} from '@lockstep/testing';

describe('relay refuses to run wrongly (real MariaDB + Kafka)', () => {
  let db: TestDatabase;
  let relayUser: RelayTestUser;

  beforeAll(async () => {
    ({ db, relayUser } = await createRelayTestDatabase('relayfatal'));
  });
  afterAll(async () => {
    await dropRelayTestDatabase({ db, relayUser });
  });

  it('preflight passes for the least-privilege relay user', async () => {
    await expect(
      runPreflight(relayUser.connection, {
        database: db.name,
        table: 'lockstep_outbox',
        checkpointTable: 'lockstep_relay_checkpoint',
      }),
    ).resolves.toBeUndefined();
  });

  it('preflight names every missing grant with its fix (user with SELECT on the outbox only)', async () => {
    const user = uniqueName('weak').replace('-', '_');
    const admin = await db.admin();
    try {
      await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'pw'`);
      await admin.query(`GRANT SELECT ON \`${db.name}\`.\`lockstep_outbox\` TO '${user}'@'%'`);
      const error = await runPreflight(
        { ...db.options, user, password: 'pw' },
        { database: db.name, table: 'lockstep_outbox', checkpointTable: 'lockstep_relay_checkpoint' },
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RelayPreflightError);
      const checks = (error as RelayPreflightError).problems.map((p) => p.check);
      expect(checks).toEqual([
        'grant REPLICATION SLAVE',
        'grant REPLICATION CLIENT',
        'grant SELECT on lockstep_relay_checkpoint',
        'grant INSERT on lockstep_relay_checkpoint',
        'grant UPDATE on lockstep_relay_checkpoint',
      ]);
      expect((error as Error).message).toContain('How to fix: GRANT REPLICATION SLAVE ON *.*');
      const missingTable = await runPreflight(
        { ...db.options, user, password: 'pw' },
        { database: db.name, table: 'no_such_outbox', checkpointTable: false },
      ).catch((e: unknown) => e);
      expect((missingTable as RelayPreflightError).problems.map((p) => p.check)).toContain('outbox table');
    } finally {
      await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
      await admin.end();
    }
  });

  it('a checkpoint the server cannot serve (errno 1236) stops the relay with BinlogPurgedError; START_FROM=now recovers with a GAP warning', async () => {
    const prefix = uniqueName('lspurge');
    const name = uniqueName('relay');
    const base = {
      name,
      mysql: relayUser.connection,
      kafka: kafkaConnectionFromEnv(process.env),
      topicPrefix: prefix,
      logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
    };
    // A GTID position this server never had: MariaDB answers exactly as for a purged one (1236).
    const relay = new Relay({ ...base, initialPosition: { gtidSet: '0-999-5' } });
    await relay.start();
    const error = await relay.closed().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BinlogPurgedError);
    expect((error as Error).message).toContain('LOCKSTEP_RELAY_START_FROM=now');
    expect(relay.state).toBe('stopped');

    const warnings: string[] = [];
    const recovered = new Relay({ ...base, startFrom: 'now' });
    recovered.on('warning', (code) => warnings.push(code));
    await recovered.start();
    try {
      await waitFor('publishing', () => recovered.state === 'publishing', { timeoutMs: 60_000 });
      expect(warnings).toContain('GAP');
      const c = await mysql.createConnection(db.options);
      const e = testOutboxEvent('thing', 't-1', { seq: 1 });
      try {
        await insertOutboxRows(c, [e]);
      } finally {
        await c.end();
      }
      const records = await waitFor(
        'the event after the gap',
        async () => {
          const r = await readAllCommitted([`${prefix}.thing`]).catch(() => []);
          return r.length > 0 ? r : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(records.map((r) => r.headers['lockstep-id'])).toEqual([e.id]);
    } finally {
      await recovered.stop();
    }
  });

  it('a record larger than Kafka accepts: a RECORD_TOO_LARGE warning naming the event and the fix, nothing skipped; raising the topic limit lets it through', async () => {
    const prefix = uniqueName('lsbig');
    const topic = `${prefix}.doc`;
    const warnings: { code: string; message: string }[] = [];
    const c = await mysql.createConnection(db.options);
    const start = String((await c.query<mysql.RowDataPacket[]>('SELECT @@GLOBAL.gtid_binlog_pos AS p'))[0][0].p);
    const relay = new Relay({
      name: uniqueName('relay'),
      mysql: relayUser.connection,
      kafka: kafkaConnectionFromEnv(process.env),
      topicPrefix: prefix,
      initialPosition: { gtidSet: start },
      logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
    });
    relay.on('warning', (code, message) => warnings.push({ code, message }));
    const small = testOutboxEvent('doc', 'd-1', { seq: 1 });
    const big = testOutboxEvent('doc', 'd-1', { seq: 2, blob: 'x'.repeat(2 * 1024 * 1024) }); // above the broker's 1 MiB default
    const after = testOutboxEvent('doc', 'd-1', { seq: 3 });
    await relay.start();
    try {
      await insertOutboxRows(c, [small]);
      await waitFor('the small event', async () => (await readAllCommitted([topic]).catch(() => [])).length === 1, {
        timeoutMs: 60_000,
      });
      await insertOutboxRows(c, [big]);
      await insertOutboxRows(c, [after]);
      const tooLarge = () => warnings.filter((w) => w.code === 'RECORD_TOO_LARGE');
      const warning = await waitFor('a RECORD_TOO_LARGE warning', () => tooLarge()[0], { timeoutMs: 60_000 });
      // Retried with back-off (250, 500, 1000, 2000, 4000 ms), not in a tight loop: five retries take at least 7.75 s.
      const firstAt = Date.now();
      await waitFor('five retries', () => tooLarge().length >= 6, { timeoutMs: 60_000 });
      expect(Date.now() - firstAt).toBeGreaterThanOrEqual(7_000);
      expect(warning.message).toContain(big.id);
      expect(warning.message).toContain('max.message.bytes');
      expect(relay.state).not.toBe('publishing');
      // Nothing after the refused event went out ahead of it.
      expect((await readAllCommitted([topic])).map((r) => r.headers['lockstep-id'])).toEqual([small.id]);

      const admin = new Kafka({ brokers: kafkaConnectionFromEnv(process.env).brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        await admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name: topic,
              configEntries: [{ name: 'max.message.bytes', value: String(8 * 1024 * 1024) }],
            },
          ],
        });
      } finally {
        await admin.disconnect();
      }
      const records = await waitFor(
        'all three events after the fix',
        async () => {
          const r = await readAllCommitted([topic]).catch(() => []);
          return r.length >= 3 ? r : undefined;
        },
        { timeoutMs: 90_000 },
      );
      expect(records.map((r) => r.headers['lockstep-id'])).toEqual([small.id, big.id, after.id]);
      expect(records[1].value).toEqual(big.payload);
    } finally {
      await relay.stop();
      await c.end();
    }
  });

  it('an event that routes to an invalid topic name stops the relay with InvalidTopicError before it; what came earlier is published', async () => {
    const prefix = uniqueName('lstopic');
    const c = await mysql.createConnection(db.options);
    const start = String((await c.query<mysql.RowDataPacket[]>('SELECT @@GLOBAL.gtid_binlog_pos AS p'))[0][0].p);
    const relay = new Relay({
      name: uniqueName('relay'),
      mysql: relayUser.connection,
      kafka: kafkaConnectionFromEnv(process.env),
      topicPrefix: prefix,
      initialPosition: { gtidSet: start },
      logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
    });
    const good = testOutboxEvent('doc', 'd-1', { seq: 1 });
    const bad = testOutboxEvent('order line', 'o-1', { seq: 1 });
    try {
      await insertOutboxRows(c, [good]);
      await insertOutboxRows(c, [bad]);
      await relay.start();
      const error = await relay.closed().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidTopicError);
      expect((error as Error).message).toContain(bad.id);
      expect(relay.state).toBe('stopped');
      expect((await readAllCommitted([`${prefix}.doc`])).map((r) => r.headers['lockstep-id'])).toEqual([good.id]);
    } finally {
      await relay.stop();
      await c.end();
    }
  });

  it(
    'an open transaction on the checkpoint partition is waited for; one that outlives the grace period is a HANGING_TRANSACTION the relay waits out until it is aborted',
    { timeout: 120_000 },
    async () => {
      const prefix = uniqueName('lshang');
      const checkpointTopic = `${prefix}.relay-checkpoints`;
      await createTopics([checkpointTopic], { compacted: true });
      // Another producer's transactions on the checkpoint partition stand in for one whose markers Kafka lost.
      const intruder = testKafka('lockstep-intruder').producer({
        transactionalId: uniqueName('intruder'),
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await intruder.connect();
      const send = async () => {
        const tx = await intruder.transaction();
        await tx.send({ topic: checkpointTopic, messages: [{ key: 'someone-else', value: 'x' }] });
        return tx;
      };
      const base = {
        mysql: relayUser.connection,
        kafka: kafkaConnectionFromEnv(process.env),
        topicPrefix: prefix,
        initialPosition: 'current' as const,
        logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
      };
      try {
        await (await send()).commit(); // something committed, so the partition has a last stable offset > 0

        // Outlives the grace period: warnings naming the partition and the fix, never a resume.
        let open = await send();
        const warnings: { code: string; message: string }[] = [];
        const stuck = new Relay({ ...base, name: uniqueName('relay'), openTransactionGraceMs: 1_000 });
        stuck.on('warning', (code, message) => warnings.push({ code, message }));
        await stuck.start();
        try {
          const warning = await waitFor(
            'a HANGING_TRANSACTION warning',
            () => warnings.find((w) => w.code === 'HANGING_TRANSACTION'),
            { timeoutMs: 60_000 },
          );
          expect(warning.message).toContain(`${checkpointTopic}-0`);
          expect(warning.message).toContain('kafka-transactions.sh');
          expect(stuck.state).not.toBe('publishing');
          expect(stuck.lastCheckpoint).toBeNull(); // it never resumed
          // The operator's fix (here: the transaction's owner aborts it): the relay goes on by itself.
          await open.abort();
          await waitFor('publishing once the hanging transaction is aborted', () => stuck.state === 'publishing', {
            timeoutMs: 60_000,
          });
        } finally {
          await stuck.stop();
        }

        // Ends within the grace period: waited for, no warning.
        open = await send();
        const patientWarnings: string[] = [];
        const patient = new Relay({ ...base, name: uniqueName('relay'), openTransactionGraceMs: 60_000 });
        patient.on('warning', (code) => patientWarnings.push(code));
        await patient.start();
        try {
          await waitFor('the relay starting', () => patient.state === 'starting', { timeoutMs: 30_000 });
          await new Promise((r) => setTimeout(r, 1_500)); // when the fault ends, not a synchronisation
          await open.commit();
          await waitFor('publishing once the transaction ended', () => patient.state === 'publishing', { timeoutMs: 60_000 });
          expect(patientWarnings).not.toContain('HANGING_TRANSACTION');
        } finally {
          await patient.stop();
        }
      } finally {
        await intruder.disconnect();
      }
    },
  );
});
