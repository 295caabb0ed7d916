import { randomInt } from 'node:crypto';
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
  type RelayTestUser,
  type TestDatabase,
} from '@lockstep/testing';
import { waitForHealthyCluster } from './fixtures/cluster-nodes.js';
import { startLoadWriter } from './fixtures/outbox-load-writer.js';

const KILLS = Number(process.env.LOCKSTEP_RELAY_CRASH_KILLS ?? 20);
/** Fewer on the cluster: each relay start costs more there (three brokers to reach, a replicated checkpoint read), and relay-cluster.fault.spec.ts kills the relay among broker faults too. */
const CLUSTER_KILLS = Number(process.env.LOCKSTEP_RELAY_CRASH_CLUSTER_KILLS ?? 6);

/** Every STARTUP_KILL_EVERY-th kill lands during start-up (lock, producer init, checkpoint read); the others once the process has published. */
const STARTUP_KILL_EVERY = 5;
const MAX_BATCH_EVENTS = 10;
/**
 * The checkpoint mirror is written after each Kafka commit, in the background, so at a kill it may
 * trail Kafka by the transaction just committed and one in flight: only more unpublished events than
 * that count as a backlog that remained.
 */
const BACKLOG_BEYOND_MIRROR_LAG = 2 * MAX_BATCH_EVENTS;
/** A publishing kill comes at most this many events into the catch-up: a slow relay (the cluster) is not waited on for long. */
const MAX_KILL_POINT_EVENTS = 300;

const cluster = testCluster();
/** The same test on the single test broker and on the 3-node cluster (RF 3, min ISR 2: the production shape). */
const targets = [
  { kafka: 'the single broker', brokers: kafkaBrokersFromEnv(process.env), kills: KILLS, isCluster: false },
  { kafka: 'the 3-node cluster', brokers: cluster.brokers(), kills: CLUSTER_KILLS, isCluster: true },
];

describe.each(targets)(
  'relay crash on $kafka (kill -9 the relay process while writers commit)',
  ({ brokers, kills: plannedKills, isCluster }) => {
    let db: TestDatabase;
    let relayUser: RelayTestUser;

    beforeAll(async () => {
      ({ db, relayUser } = await createRelayTestDatabase('relaycrash'));
      // A test before may have left a cluster node down.
      if (isCluster && cluster.isLocal) {
        await cluster.start();
        await waitForHealthyCluster(cluster, []);
      }
    }, 240_000);
    afterAll(async () => {
      await dropRelayTestDatabase({ db, relayUser });
    });

    it(
      `every committed event exactly once, in order per aggregate, across ${plannedKills} kill -9`,
      { timeout: 600_000 },
      async () => {
        const prefix = uniqueName('lscrash');
        const admin = await db.admin();
        const startGtid = await gtidBinlogPos(admin);
        await admin.end();
        const logFile = join(tmpdir(), `${prefix}-relay.log`);
        const env = {
          LOCKSTEP_MYSQL_URL: relayUser.url,
          LOCKSTEP_KAFKA_BROKERS: brokers.join(','), // on the cluster the relay creates its topics with the broker default RF 3
          LOCKSTEP_RELAY_NAME: prefix,
          LOCKSTEP_TOPIC_PREFIX: prefix,
          LOCKSTEP_RELAY_INITIAL_GTID: startGtid,
          LOCKSTEP_TOPIC_PARTITIONS: '3',
          LOCKSTEP_RELAY_MAX_BATCH_EVENTS: String(MAX_BATCH_EVENTS), // small batches: after each restart the backlog spans many Kafka transactions
        };
        const writer = startLoadWriter(db, {
          writers: 2,
          aggregatesPerWriter: 6,
          aggregateTypes: ['acct', 'cart'],
          maxRowsPerTx: 4,
          rollbackEvery: 5,
          paceMs: 15,
        });
        const relayConnections = async (): Promise<number> => {
          const a = await db.admin();
          try {
            const [[row]] = await a.query<mysql.RowDataPacket[]>(
              'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ?',
              [relayUser.connection.user],
            );
            return Number(row?.n ?? 0);
          } finally {
            await a.end();
          }
        };
        let kills = 0;
        /** Kills that landed after that relay process had published (its mirror advanced) and while a backlog remained. */
        let inFlightKills = 0;
        try {
          while (kills < plannedKills) {
            // The mirror before this process starts: growth is this process's commits. The process before is
            // dead, but a mirror write it had sent may still land: wait until MySQL has closed its connections.
            await waitFor('the killed relay process gone from MySQL', async () => (await relayConnections()) === 0, {
              timeoutMs: 30_000,
              intervalMs: 20,
            });
            const mirrorAtStart = await mirroredEventsPublished(db, prefix);
            const relay = spawnRelayProcess(env, logFile);
            const startupKill = kills % STARTUP_KILL_EVERY === STARTUP_KILL_EVERY - 1;
            if (startupKill) {
              await new Promise((r) => setTimeout(r, randomInt(100, 2_000))); // a random crash moment in start-up, not a synchronisation
            } else {
              const firstPublished = await waitFor(
                'this relay process publishing (its checkpoint mirror advancing)',
                async () => {
                  const m = await mirroredEventsPublished(db, prefix);
                  return m > mirrorAtStart ? m : undefined;
                },
                { timeoutMs: 90_000, intervalMs: 20 },
              );
              // A random crash point within the catch-up, whatever the machine's speed: once the mirror has
              // passed a random share of the backlog this process found (a condition, not a sleep). A fixed
              // delay (0-1.5 s) let a fast relay catch up first: one run had only 8 of 20 kills land with events waiting.
              const backlogFound = writer.committed.size - firstPublished;
              const target =
                firstPublished +
                randomInt(
                  0,
                  Math.max(0, Math.min(MAX_KILL_POINT_EVENTS, Math.floor(0.8 * (backlogFound - 3 * BACKLOG_BEYOND_MIRROR_LAG)))) +
                    1,
                );
              await waitFor(
                'this relay process at a random point of its catch-up',
                async () => (await mirroredEventsPublished(db, prefix)) >= target,
                { timeoutMs: 90_000, intervalMs: 10 },
              );
            }
            // The evidence, read right before the kill: committed first, so the backlog is never overstated by later commits.
            const committedAtKill = writer.committed.size;
            const mirrorAtKill = await mirroredEventsPublished(db, prefix);
            await relay.kill9();
            kills += 1;
            const publishedByThisProcess = mirrorAtKill > mirrorAtStart;
            const backlog = committedAtKill - mirrorAtKill;
            const inFlight = publishedByThisProcess && backlog > BACKLOG_BEYOND_MIRROR_LAG;
            if (inFlight) inFlightKills += 1;
            console.log(
              `kill ${kills}/${plannedKills} (pid ${relay.pid}, ${startupKill ? 'start-up' : 'publishing'}): ` +
                `this process published ${publishedByThisProcess ? 'yes' : 'no'} (mirror ${mirrorAtStart} -> ${mirrorAtKill}), ` +
                `backlog ${backlog} events (${committedAtKill} committed; counts above ${BACKLOG_BEYOND_MIRROR_LAG}) -> ` +
                `${inFlight ? 'landed in flight' : 'NOT in flight'}`,
            );
          }
        } finally {
          await writer.stop();
        }
        const last = spawnRelayProcess(env, logFile);
        try {
          const topics = [`${prefix}.acct`, `${prefix}.cart`];
          const expected = writer.committed;
          const records = await waitFor(
            `all ${expected.size} committed events in Kafka`,
            async () => {
              const r = await readAllCommitted(topics, { brokers: brokers.join(',') }).catch(() => []);
              return r.length >= expected.size ? r : undefined;
            },
            { timeoutMs: 180_000, intervalMs: 1_000 },
          );
          // The relay stays up a little longer: anything extra it would publish must show up now too.
          const final = await readAllCommitted(topics, { brokers: brokers.join(',') });
          const check = checkExactlyOnceInOrder(final, expected);
          const rolledBackSeen = final.filter((r) => writer.rolledBack.has(r.headers['lockstep-id'] ?? ''));
          console.log(
            `crash test on ${brokers.join(',')}: ${kills} kills (${inFlightKills} after that process published, with a backlog), ${expected.size} committed events, ${writer.rolledBack.size} rolled back, ${final.length} records read (log ${logFile})`,
          );
          // Most kills must have hit a relay mid-stream: published by that process, events still waiting.
          expect(
            inFlightKills,
            `kills that landed after that process published and while a backlog remained, of ${kills}`,
          ).toBeGreaterThanOrEqual(Math.ceil((2 * kills) / 3));
          expect(records.length).toBeGreaterThanOrEqual(expected.size);
          expect(check.missing).toEqual([]);
          expect(check.duplicates).toEqual([]);
          expect(rolledBackSeen).toEqual([]);
          expect(check.unexpected).toEqual([]);
          expect(check.outOfOrder).toEqual([]);
          expect(new Set(final.map((r) => r.partition)).size).toBe(3);
        } finally {
          expect(await last.terminate()).toBe(0);
        }
      },
    );
  },
);
