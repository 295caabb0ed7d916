import { randomInt } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokersFromEnv } from '@lockstep/core';
import {
  checkExactlyOnceInOrder,
  createRelayTestDatabase,
  dropRelayTestDatabase,
  gtidBinlogPos,
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
          LOCKSTEP_RELAY_MAX_BATCH_EVENTS: '10', // small batches: after each restart the backlog spans many Kafka transactions
        };
        const writer = startLoadWriter(db, {
          writers: 2,
          aggregatesPerWriter: 6,
          aggregateTypes: ['acct', 'cart'],
          maxRowsPerTx: 4,
          rollbackEvery: 5,
          paceMs: 15,
        });
        let kills = 0;
        let killedWhilePublishing = 0;
        try {
          while (kills < plannedKills) {
            const relay = spawnRelayProcess(env, logFile);
            // Most kills land while publishing; some during start-up (lock, producer init, checkpoint read).
            if (randomInt(10) < 7) {
              await relay.waitForOutput(/starting -> publishing/, 90_000);
              await new Promise((r) => setTimeout(r, randomInt(50, 2_500))); // a random crash moment, not a synchronisation
              killedWhilePublishing += 1;
            } else {
              await new Promise((r) => setTimeout(r, randomInt(100, 2_000)));
            }
            await relay.kill9();
            kills += 1;
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
            `crash test on ${brokers.join(',')}: ${kills} kills (${killedWhilePublishing} while publishing), ${expected.size} committed events, ${writer.rolledBack.size} rolled back, ${final.length} records read (log ${logFile})`,
          );
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
