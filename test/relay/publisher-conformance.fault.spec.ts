import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KafkaTransactionalPublisher,
  type GtidPosition,
  type KafkaWait,
  type RelayCheckpoint,
  type TransactionalPublisher,
} from '@lockstep/relay';
import { runPublishWorkload, testCluster, uniqueName, waitFor, type WorkloadRecord } from '@lockstep/testing';

/**
 * Every publisher adapter must pass this on a three-broker cluster (RF 3, min ISR 2): the
 * plain-client workload that made kafkajs publish duplicates (docs/kafka-client.md), and the same
 * workload with brokers killed mid-transaction. Judged by kcat in read_committed mode only.
 */
interface PublisherAdapter {
  name: string;
  create(o: {
    brokers: string[];
    relayName: string;
    checkpointTopic: string;
    transactions: boolean;
    onWait?: (w: KafkaWait) => void;
  }): TransactionalPublisher;
}

const adapters: PublisherAdapter[] = [
  {
    name: 'kafkajs, one send per partition',
    create: (o) =>
      new KafkaTransactionalPublisher({
        connection: { brokers: o.brokers, ssl: false },
        relayName: o.relayName,
        transactionalId: `lockstep-relay-${o.relayName}`,
        checkpointTopic: o.checkpointTopic,
        topicPartitions: 3,
        transactionTimeoutMs: 40_000, // retry budget 25 s: a lost broker's partitions move in ~10 s
        maxRequestBytes: 900 * 1024,
        checkpointReadTimeoutMs: 60_000,
        transactions: o.transactions,
        onWait: o.onWait,
      }),
  },
];

const cluster = testCluster();
const brokers = cluster.brokers();
const checkpointFor = (index: number): RelayCheckpoint => ({
  gtidSet: `0-1-${index + 1}` as GtidPosition,
  lastEventId: null,
  lastEventCreatedAt: null,
  eventsPublished: index + 1,
  at: new Date().toISOString(),
});
const indexOf = (c: RelayCheckpoint | null): number => (c ? Number(c.gtidSet.split('-')[2]) - 1 : -1);

/** A topic of three partitions, each led by a different broker: every transaction spans all three. */
async function spreadTopic(topic: string): Promise<void> {
  const admin = cluster.kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 3 }] });
  } finally {
    await admin.disconnect();
  }
  const leaders = await Promise.all([0, 1, 2].map((p) => cluster.leaderOf(topic, p)));
  expect(new Set(leaders).size).toBe(3);
}

describe.each(adapters)('publisher conformance on a three-broker cluster: $name', (adapter) => {
  beforeAll(async () => {
    // Tests before may have killed nodes: every broker serves again.
    await cluster.start();
    await waitFor('all cluster nodes up', async () => (await Promise.all([1, 2, 3].map((n) => cluster.isUp(n)))).every(Boolean), {
      timeoutMs: 120_000,
    });
  });
  afterAll(async () => {
    await cluster.start();
  });

  it(
    'the plain-client workload (200 transactions × 300 records over three brokers): each record exactly once, in order per key',
    { timeout: 300_000 },
    async () => {
      const topic = uniqueName('conf-plain');
      await spreadTopic(topic);
      const relayName = uniqueName('conf');
      const publisher = adapter.create({ brokers, relayName, checkpointTopic: `${topic}.checkpoints`, transactions: true });
      await publisher.connect();
      try {
        await publisher.ensureTopics([topic]);
        const report = await runPublishWorkload({
          brokers: brokers.join(','),
          topic,
          transactions: 200,
          recordsPerTransaction: 300,
          keys: 60,
          publishTransaction: (records, index) => publisher.publish(records, checkpointFor(index)),
        });
        console.log(
          `conformance ${adapter.name}: ${report.sent} sent, ${report.read} read, ${report.duplicates} duplicates, ${report.missing} missing, ${report.outOfOrder} out of order, ${Math.round(report.recordsPerSecond)} records/s`,
        );
        expect({
          read: report.read,
          duplicates: report.duplicates,
          missing: report.missing,
          unexpected: report.unexpected,
          outOfOrder: report.outOfOrder,
        }).toEqual({ read: 60_000, duplicates: 0, missing: 0, unexpected: 0, outOfOrder: 0 });
        expect(await publisher.readCheckpoint()).toMatchObject({ gtidSet: '0-1-200' });
      } finally {
        await publisher.close();
      }
    },
  );

  it(
    'transactions off (idempotent producer, at-least-once by design): without faults still each record once, in order',
    { timeout: 180_000 },
    async () => {
      const topic = uniqueName('conf-idem');
      await spreadTopic(topic);
      const publisher = adapter.create({
        brokers,
        relayName: uniqueName('conf'),
        checkpointTopic: `${topic}.checkpoints`,
        transactions: false,
      });
      await publisher.connect();
      try {
        await publisher.ensureTopics([topic]);
        const report = await runPublishWorkload({
          brokers: brokers.join(','),
          topic,
          transactions: 100,
          recordsPerTransaction: 300,
          keys: 60,
          publishTransaction: (records, index) => publisher.publish(records, checkpointFor(index)),
        });
        expect({ duplicates: report.duplicates, missing: report.missing, outOfOrder: report.outOfOrder }).toEqual({
          duplicates: 0,
          missing: 0,
          outOfOrder: 0,
        });
      } finally {
        await publisher.close();
      }
    },
  );

  it(
    'brokers killed -9 mid-transaction (a partition leader, then the transaction coordinator): waits reported, nothing lost or doubled',
    { timeout: 600_000 },
    async () => {
      const topic = uniqueName('conf-fault');
      await spreadTopic(topic);
      const relayName = uniqueName('conf');
      const transactionalId = `lockstep-relay-${relayName}`;
      const waits: KafkaWait[] = [];
      const create = (): TransactionalPublisher =>
        adapter.create({
          brokers,
          relayName,
          checkpointTopic: `${topic}.checkpoints`,
          transactions: true,
          onWait: (w) => waits.push(w),
        });
      let publisher = create();
      await publisher.connect();
      await publisher.ensureTopics([topic]);
      /** Per fault, counted from the kill until the node is back: waits on the lost broker, and new sessions. */
      const faults: {
        kind: string;
        node: number;
        inFlight: boolean;
        waitsIndex: number;
        restartsIndex: number;
        brokerLossWaits?: number;
        sessionRestarts?: number;
      }[] = [];
      let sessionRestarts = 0;
      const BROKER_LOSS = new Set([
        'KafkaJSConnectionError',
        'KafkaJSConnectionClosedError',
        'KafkaJSRequestTimeoutError',
        'NOT_LEADER_FOR_PARTITION',
        'LEADER_NOT_AVAILABLE',
        'NOT_COORDINATOR_FOR_GROUP',
        'GROUP_LOAD_IN_PROGRESS',
        'GROUP_COORDINATOR_NOT_AVAILABLE',
      ]);
      /** Closes the last fault's window when its node is brought back. */
      const closeFaultWindow = (): void => {
        const f = faults[faults.length - 1];
        if (!f || f.brokerLossWaits !== undefined) return;
        f.brokerLossWaits = waits.slice(f.waitsIndex).filter((w) => BROKER_LOSS.has(w.reason)).length;
        f.sessionRestarts = sessionRestarts - f.restartsIndex;
      };

      /** Kills `node` while transaction `index` is being published; true if the publish was still in flight. */
      const publishWithKill = async (
        records: WorkloadRecord[],
        index: number,
        kind: string,
        pickNode: () => Promise<number>,
      ): Promise<void> => {
        const node = await pickNode();
        const waitsIndex = waits.length;
        const restartsIndex = sessionRestarts;
        let settled = false;
        const publishing = publishRecovering(records, index).finally(() => (settled = true));
        await cluster.kill(node, 'SIGKILL');
        const inFlight = !settled;
        await publishing;
        faults.push({ kind, node, inFlight, waitsIndex, restartsIndex });
      };

      /**
       * The port's contract, as the relay keeps it: a publish that throws never means "maybe
       * committed" — throw the publisher away, open a new one (which completes or aborts what was
       * open), read the checkpoint, and publish again only what it does not cover.
       */
      const publishRecovering = async (records: WorkloadRecord[], index: number): Promise<void> => {
        for (;;) {
          try {
            await publisher.publish(records, checkpointFor(index));
            return;
          } catch (error) {
            sessionRestarts += 1;
            console.log(
              `conformance: publish ${index} failed (${(error as Error).name}: ${(error as Error).message.split('\n')[0]}); new session`,
            );
            await publisher.close();
            await waitFor(
              'a new publisher session',
              async () => {
                const next = create();
                try {
                  await next.connect();
                  await next.ensureTopics([topic]);
                  publisher = next;
                  return true;
                } catch {
                  await next.close();
                  return false;
                }
              },
              { timeoutMs: 120_000, intervalMs: 1_000 },
            );
            const committed = indexOf(await publisher.readCheckpoint());
            if (committed >= index) return;
            expect(committed).toBe(index - 1);
          }
        }
      };

      try {
        const report = await runPublishWorkload({
          brokers: brokers.join(','),
          topic,
          transactions: 160,
          recordsPerTransaction: 300,
          keys: 60,
          publishTransaction: async (records, index) => {
            if (index === 30)
              return publishWithKill(records, index, 'partition leader (not the coordinator)', async () => {
                const coordinator = await cluster.transactionCoordinatorOf(transactionalId);
                const leaders = await Promise.all([0, 1, 2].map((p) => cluster.leaderOf(topic, p)));
                return leaders.find((l) => l !== coordinator)!;
              });
            if (index === 100)
              return publishWithKill(records, index, 'transaction coordinator', () =>
                cluster.transactionCoordinatorOf(transactionalId),
              );
            return publishRecovering(records, index);
          },
          before: async (index) => {
            if (index === 70 || index === 140) {
              closeFaultWindow();
              await cluster.start(); // the killed node comes back (at most one broker down at a time)
              await waitFor(
                'all nodes up again',
                async () => (await Promise.all([1, 2, 3].map((n) => cluster.isUp(n)))).every(Boolean),
                { timeoutMs: 120_000 },
              );
            }
          },
        });
        const reasons = [...new Set(waits.map((w) => w.reason))];
        console.log(
          `conformance faults ${adapter.name}: ${JSON.stringify(faults)}; wait reasons ${reasons.join(', ')}; longest wait ${Math.max(0, ...waits.map((w) => w.waitedMs))} ms; ${report.sent} sent, ${report.read} read, ${report.duplicates} duplicates, ${report.missing} missing`,
        );
        expect(faults.map((f) => f.inFlight)).toEqual([true, true]);
        // The lost partition leader costs no new session. (How often the publisher had to wait for
        // it varies: 1 wait on one run, 0 on two clean-clone runs where Kafka moved the partitions
        // before a request met the dead broker; brokerLossWaits is logged above, not asserted.)
        expect(faults[0].sessionRestarts).toBe(0);
        expect({
          duplicates: report.duplicates,
          missing: report.missing,
          unexpected: report.unexpected,
          outOfOrder: report.outOfOrder,
        }).toEqual({ duplicates: 0, missing: 0, unexpected: 0, outOfOrder: 0 });
        expect(report.read).toBe(48_000);
      } finally {
        await publisher.close();
      }
    },
  );
});
