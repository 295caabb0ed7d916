import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokersFromEnv } from '@lockstep/core';
import {
  createRelayTestDatabase,
  dropRelayTestDatabase,
  gtidBinlogPos,
  insertOutboxRows,
  readAllCommitted,
  spawnRelayProcess,
  testCluster,
  testKafka,
  testOutboxEvent,
  uniqueName,
  waitFor,
  type RelayProcess,
  type RelayTestUser,
  type TestDatabase,
} from '@lockstep/testing';
import { waitForHealthyCluster } from './fixtures/cluster-nodes.js';

const cluster = testCluster();
/** The same test on the single test broker and on the 3-node cluster (the coordinator there is one of three brokers). */
const targets: Array<{ kafka: string; brokers: string[]; client: () => Kafka; isCluster: boolean }> = [
  { kafka: 'the single broker', brokers: kafkaBrokersFromEnv(process.env), client: () => testKafka(), isCluster: false },
  { kafka: 'the 3-node cluster', brokers: cluster.brokers(), client: () => cluster.kafka(), isCluster: true },
];

describe.each(targets)(
  'relay fencing on $kafka (a newer producer with the same transactional id)',
  ({ brokers, client, isCluster }) => {
    let db: TestDatabase;
    let relayUser: RelayTestUser;
    const spawned: RelayProcess[] = [];
    const read = (topic: string) => readAllCommitted([topic], { brokers: brokers.join(',') });

    beforeAll(async () => {
      ({ db, relayUser } = await createRelayTestDatabase('relayfence'));
      // A test before may have left a cluster node down.
      if (isCluster && cluster.isLocal) {
        await cluster.start();
        await waitForHealthyCluster(cluster, []);
      }
    }, 240_000);
    afterAll(async () => {
      await Promise.all(spawned.map((p) => p.kill9()));
      await dropRelayTestDatabase({ db, relayUser });
    });

    it(
      'a fenced relay process stops publishing and exits with code 3; the next leader publishes what it could not',
      { timeout: 300_000 },
      async () => {
        const prefix = uniqueName('lsfence');
        const admin = await db.admin();
        const env = {
          LOCKSTEP_MYSQL_URL: relayUser.url,
          LOCKSTEP_KAFKA_BROKERS: brokers.join(','),
          LOCKSTEP_RELAY_NAME: prefix,
          LOCKSTEP_TOPIC_PREFIX: prefix,
          LOCKSTEP_RELAY_INITIAL_GTID: await gtidBinlogPos(admin),
        };
        const topic = `${prefix}.acct`;
        try {
          const first = spawnRelayProcess(env, join(tmpdir(), `${prefix}-a.log`));
          spawned.push(first);
          await first.waitForOutput(/starting -> publishing/, 90_000);
          const before = testOutboxEvent('acct', 'a-1', { seq: 1 });
          await insertOutboxRows(admin, [before]);
          await waitFor('the first event', async () => (await read(topic).catch(() => [])).length === 1, { timeoutMs: 60_000 });

          // Split brain, simulated: another producer claims the relay's transactional id.
          const usurper = client().producer({
            transactionalId: `lockstep-relay-${prefix}`,
            idempotent: true,
            maxInFlightRequests: 1,
          });
          await usurper.connect();
          await (await usurper.transaction()).abort(); // kafkajs claims the id (InitProducerId) at the first transaction
          try {
            const after = testOutboxEvent('acct', 'a-1', { seq: 2 });
            await insertOutboxRows(admin, [after]);
            const exit = await Promise.race([
              first.exited,
              new Promise<never>((_, reject) =>
                setTimeout(() => reject(new Error('the fenced relay did not exit within 60 s')), 60_000),
              ),
            ]);
            expect(exit.code).toBe(3);
            expect(first.output()).toMatch(/FENCED: relay "lsfence-[0-9a-f]+" was fenced/);
            expect((await read(topic)).map((r) => r.headers['lockstep-id'])).toEqual([before.id]);
          } finally {
            await usurper.disconnect();
          }

          const next = spawnRelayProcess(env, join(tmpdir(), `${prefix}-b.log`));
          spawned.push(next);
          const records = await waitFor(
            'both events, once each',
            async () => {
              const r = await read(topic).catch(() => []);
              return r.length >= 2 ? r : undefined;
            },
            { timeoutMs: 90_000 },
          );
          expect(records.map((r) => (JSON.parse(r.value!.toString()) as { seq: number }).seq)).toEqual([1, 2]);
          expect(await next.terminate()).toBe(0);
        } finally {
          await admin.end();
        }
      },
    );
  },
);
