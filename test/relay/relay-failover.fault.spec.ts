import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokersFromEnv } from '@lockstep/core';
import {
  checkExactlyOnceInOrder,
  createRelayTestDatabase,
  dropRelayTestDatabase,
  gtidBinlogPos,
  mirroredEventsPublished,
  readAllCommitted,
  spawnRelayProcess,
  testCluster,
  uniqueName,
  waitFor,
  type ReadRecord,
  type RelayProcess,
  type RelayTestUser,
  type TestDatabase,
} from '@lockstep/testing';
import { waitForHealthyCluster } from './fixtures/cluster-nodes.js';
import { startLoadWriter } from './fixtures/outbox-load-writer.js';

async function expectAllExactlyOnce(
  brokers: string[],
  topics: string[],
  committed: Set<string>,
  rolledBack: Set<string>,
): Promise<ReadRecord[]> {
  await waitFor(
    `all ${committed.size} committed events in Kafka`,
    async () => {
      const r = await readAllCommitted(topics, { brokers: brokers.join(',') }).catch(() => []);
      return r.length >= committed.size ? r : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 1_000 },
  );
  const final = await readAllCommitted(topics, { brokers: brokers.join(',') });
  const check = checkExactlyOnceInOrder(final, committed);
  expect(check.missing).toEqual([]);
  expect(check.duplicates).toEqual([]);
  expect(check.unexpected).toEqual([]);
  expect(check.outOfOrder).toEqual([]);
  expect(final.filter((r) => rolledBack.has(r.headers['lockstep-id'] ?? ''))).toEqual([]);
  return final;
}

/** Events the writers committed after the take-over, and how many of them must be there for it to count as one. */
const COMMITS_AFTER_TAKEOVER = 50;

const cluster = testCluster();
/** The same tests on the single test broker and on the 3-node cluster (RF 3, min ISR 2: the production shape). */
const targets = [
  { kafka: 'the single broker', brokers: kafkaBrokersFromEnv(process.env), isCluster: false },
  { kafka: 'the 3-node cluster', brokers: cluster.brokers(), isCluster: true },
];

describe.each(targets)('relay failover and binlog connection loss on $kafka', ({ brokers, isCluster }) => {
  let db: TestDatabase;
  let relayUser: RelayTestUser;
  const spawned: RelayProcess[] = [];
  const spawn = (env: Record<string, string>, log: string): RelayProcess => {
    const p = spawnRelayProcess(env, log);
    spawned.push(p);
    return p;
  };

  beforeAll(async () => {
    ({ db, relayUser } = await createRelayTestDatabase('relayfo'));
    // A test before may have left a cluster node down.
    if (isCluster && cluster.isLocal) {
      await cluster.start();
      await waitForHealthyCluster(cluster, []);
    }
  }, 240_000);
  afterAll(async () => {
    await Promise.all(spawned.map((p) => p.kill9())); // a failed test must not leave relays running
    await dropRelayTestDatabase({ db, relayUser });
  });

  const envFor = async (prefix: string): Promise<Record<string, string>> => {
    const admin = await db.admin();
    try {
      return {
        LOCKSTEP_MYSQL_URL: relayUser.url,
        LOCKSTEP_KAFKA_BROKERS: brokers.join(','),
        LOCKSTEP_RELAY_NAME: prefix,
        LOCKSTEP_TOPIC_PREFIX: prefix,
        LOCKSTEP_RELAY_INITIAL_GTID: await gtidBinlogPos(admin),
      };
    } finally {
      await admin.end();
    }
  };

  it(
    'two relays on one stream: one publishes, the other waits, and takes over within 10 s of a kill -9',
    { timeout: 300_000 },
    async () => {
      const prefix = uniqueName('lsfo');
      const env = await envFor(prefix);
      const logFile = join(tmpdir(), `${prefix}-relay.log`);
      const writer = startLoadWriter(db, {
        writers: 2,
        aggregatesPerWriter: 5,
        aggregateTypes: ['acct'],
        maxRowsPerTx: 3,
        rollbackEvery: 6,
        paceMs: 15,
      });
      const a = spawn({ ...env }, `${logFile}.a`);
      let b: RelayProcess;
      /** How many events the writers had committed when the standby started publishing (a was dead by then). */
      let committedAtTakeover: number;
      let mirrorAtTakeover: number;
      try {
        await a.waitForOutput(/starting -> publishing/, 90_000);
        b = spawn({ ...env }, `${logFile}.b`);
        await b.waitForOutput(/waiting for leader lock/, 90_000);
        // The relay's MySQL checkpoint mirror, not a read_committed read: while a relay commits
        // back-to-back transactions, kcat may not reach the end of a partition until it pauses.
        await waitFor('some events published by the leader', async () => (await mirroredEventsPublished(db, prefix)) > 50, {
          timeoutMs: 60_000,
          intervalMs: 500,
        });
        expect(b.output()).not.toMatch(/leader lock acquired/);

        await a.kill9();
        const killedAt = Date.now();
        await b.waitForOutput(/starting -> publishing/, 30_000);
        const takeoverMs = Date.now() - killedAt;
        console.log(`failover: standby publishing ${takeoverMs} ms after kill -9 of the leader`);
        expect(takeoverMs).toBeLessThan(10_000);
        // The mirror first: it counts only events committed before it was read, so none of those counted below.
        mirrorAtTakeover = await mirroredEventsPublished(db, prefix);
        committedAtTakeover = writer.committed.size;
        // The take-over must carry a stream: new commits in MySQL, and the new leader publishing them.
        await waitFor(
          `${COMMITS_AFTER_TAKEOVER} new commits after the take-over`,
          () => writer.committed.size >= committedAtTakeover + COMMITS_AFTER_TAKEOVER,
          { timeoutMs: 30_000 },
        );
      } finally {
        await writer.stop();
      }
      try {
        const final = await expectAllExactlyOnce(brokers, [`${prefix}.acct`], writer.committed, writer.rolledBack);
        // Set order is each writer's commit order: the ids from committedAtTakeover on were committed after
        // the standby took over, when the old leader was already dead (kill -9 before the take-over):
        // only the new leader can have published them.
        const afterTakeover = new Set([...writer.committed].slice(committedAtTakeover));
        const readAfterTakeover = final.filter((r) => afterTakeover.has(r.headers['lockstep-id'] ?? ''));
        // The mirror is written after each Kafka commit, in the background: let it catch up (exactly once, it ends at the total).
        const mirrorAtEnd = await waitFor(
          'the checkpoint mirror at every committed event',
          async () => {
            const n = await mirroredEventsPublished(db, prefix);
            return n >= writer.committed.size ? n : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 250 },
        );
        console.log(
          `failover: ${afterTakeover.size} events committed after the take-over, ${readAfterTakeover.length} of them read from Kafka; ` +
            `the new leader's checkpoint mirror ${mirrorAtTakeover} -> ${mirrorAtEnd}`,
        );
        expect(afterTakeover.size).toBeGreaterThanOrEqual(COMMITS_AFTER_TAKEOVER);
        expect(readAfterTakeover.length, 'records in Kafka of events committed after the take-over').toBe(afterTakeover.size);
        expect(
          mirrorAtEnd - mirrorAtTakeover,
          'events the new leader committed to Kafka (its checkpoint mirror)',
        ).toBeGreaterThanOrEqual(afterTakeover.size);
      } finally {
        await a.kill9();
        expect(await b.terminate()).toBe(0);
      }
    },
  );

  it(
    'KILL of the relay binlog connection (Binlog Dump thread) mid-stream: it resumes, still exactly once',
    { timeout: 300_000 },
    async () => {
      const prefix = uniqueName('lskill');
      const env = await envFor(prefix);
      const relay = spawn(env, join(tmpdir(), `${prefix}-relay.log`));
      const writer = startLoadWriter(db, {
        writers: 2,
        aggregatesPerWriter: 5,
        aggregateTypes: ['acct'],
        maxRowsPerTx: 3,
        rollbackEvery: 6,
        paceMs: 15,
      });
      const admin = await db.admin();
      let killed = 0;
      try {
        await relay.waitForOutput(/starting -> publishing/, 90_000);
        for (let i = 0; i < 5; i += 1) {
          const thread = await waitFor(
            'the relay binlog dump thread',
            async () => {
              const [rows] = await admin.query<mysql.RowDataPacket[]>(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ? AND COMMAND LIKE 'Binlog Dump%'",
                [relayUser.connection.user],
              );
              return rows.length === 1 ? Number(rows[0].ID) : undefined;
            },
            { timeoutMs: 30_000, intervalMs: 100 },
          );
          const before = writer.committed.size;
          await admin.query(`KILL ${thread}`);
          killed += 1;
          await waitFor(
            'a new binlog dump thread',
            async () => {
              const [rows] = await admin.query<mysql.RowDataPacket[]>(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ? AND COMMAND LIKE 'Binlog Dump%' AND ID <> ?",
                [relayUser.connection.user, thread],
              );
              return rows.length === 1;
            },
            { timeoutMs: 30_000, intervalMs: 100 },
          );
          await waitFor('more commits', () => writer.committed.size > before + 20, { timeoutMs: 30_000 });
        }
      } finally {
        await writer.stop();
        await admin.end();
      }
      try {
        expect(killed).toBe(5);
        await expectAllExactlyOnce(brokers, [`${prefix}.acct`], writer.committed, writer.rolledBack);
        expect(relay.output()).toMatch(/binlog stream failed/);
      } finally {
        expect(await relay.terminate()).toBe(0);
      }
    },
  );
});
