/**
 * `npm run bench:kafka-cluster`: the plain-client reproduction of the cluster duplicate
 * (docs/kafka-client.md). On a three-broker cluster it publishes the same workload through
 *  - kafkajs as the relay used it before (one `sendBatch` per transaction, kafkajs' own retries), and
 *  - Lockstep's publisher (one send per partition, retried per partition),
 * alternating the two, and prints per run: records sent, read back `read_committed` by kcat,
 * duplicates, missing, out of order, and records per second. Medians over the runs at the end.
 *
 * Brokers: LOCKSTEP_CLUSTER_KAFKA_BROKERS (default: the test cluster, 127.0.0.1:19092-19094; start
 * it with `LOCKSTEP_HOME=.lockstep/cluster LOCKSTEP_LOCAL_KAFKA_NODES=3 LOCKSTEP_LOCAL_KAFKA_PORT=19092 npm run infra:up -- kafka`).
 * Flags: --runs N (default 2), --transactions N (200), --per-tx N (300), --value-bytes N (100).
 */
import { Kafka, logLevel } from 'kafkajs';
import { KafkaTransactionalPublisher, type GtidPosition } from '@lockstep/relay';
import { runPublishWorkload, uniqueName, type PublishWorkloadReport, type WorkloadRecord } from '@lockstep/testing';
import { fmt, spread } from './lib/util.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const RUNS = opt('runs', 2);
const TRANSACTIONS = opt('transactions', 200);
const PER_TX = opt('per-tx', 300);
const VALUE_BYTES = opt('value-bytes', 100);
const brokers = (process.env.LOCKSTEP_CLUSTER_KAFKA_BROKERS ?? '127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094').split(',');
const kafka = new Kafka({ clientId: 'lockstep-bench-cluster', brokers, logLevel: logLevel.NOTHING });
// The relay's kafkajs settings before the fix: retries 10 ms after a failure (kafkajs' default
// 300 ms lets the in-flight request finish first and hides the duplicate, at 1/7 of the throughput).
const relayKafkaBefore = new Kafka({
  clientId: 'lockstep-bench-cluster',
  brokers,
  logLevel: logLevel.NOTHING,
  retry: { initialRetryTime: 10, maxRetryTime: 2_000, retries: 8 },
});

/** A topic with one partition per broker, each led by a different broker, so every transaction spans all brokers. */
async function createSpreadTopic(topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: brokers.length }] });
    const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    const leaders = new Set(meta.partitions.map((p) => p.leader));
    if (leaders.size < brokers.length) console.warn(`note: ${topic} has leaders on ${leaders.size} brokers only`);
  } finally {
    await admin.disconnect();
  }
}

/** kafkajs as the relay used it before: one sendBatch per transaction. */
async function plainKafkajs(topic: string): Promise<PublishWorkloadReport> {
  const producer = relayKafkaBefore.producer({
    transactionalId: uniqueName('bench-plain'),
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    return await runPublishWorkload({
      brokers: brokers.join(','),
      topic,
      transactions: TRANSACTIONS,
      recordsPerTransaction: PER_TX,
      keys: 60,
      valueBytes: VALUE_BYTES,
      publishTransaction: async (records: WorkloadRecord[]) => {
        const tx = await producer.transaction();
        try {
          await tx.sendBatch({
            acks: -1,
            topicMessages: [{ topic, messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })) }],
          });
          await tx.commit();
        } catch (error) {
          if (tx.isActive()) await tx.abort().catch(() => undefined);
          throw error;
        }
      },
    });
  } finally {
    await producer.disconnect();
  }
}

/** Lockstep's publisher, exactly as the relay and `lockstep replay` use it. */
async function lockstepPublisher(topic: string): Promise<PublishWorkloadReport> {
  const name = uniqueName('bench-lanes');
  const publisher = new KafkaTransactionalPublisher({
    connection: { brokers, ssl: false },
    relayName: name,
    transactionalId: `lockstep-relay-${name}`,
    checkpointTopic: `${topic}.checkpoints`,
    topicPartitions: brokers.length,
    transactionTimeoutMs: 60_000,
    maxRequestBytes: 900 * 1024,
    checkpointReadTimeoutMs: 30_000,
  });
  await publisher.connect();
  try {
    await publisher.ensureTopics([topic]);
    return await runPublishWorkload({
      brokers: brokers.join(','),
      topic,
      transactions: TRANSACTIONS,
      recordsPerTransaction: PER_TX,
      keys: 60,
      valueBytes: VALUE_BYTES,
      publishTransaction: (records, index) =>
        publisher.publish(records, {
          gtidSet: `0-1-${index + 1}` as GtidPosition,
          lastEventId: null,
          lastEventCreatedAt: null,
          eventsPublished: (index + 1) * PER_TX,
          at: new Date().toISOString(),
        }),
    });
  } finally {
    await publisher.close();
  }
}

const paths: [string, (topic: string) => Promise<PublishWorkloadReport>][] = [
  ['kafkajs, one sendBatch per transaction (before)', plainKafkajs],
  ["Lockstep's publisher (one send per partition)", lockstepPublisher],
];
const results = new Map<string, PublishWorkloadReport[]>();
console.log(
  `cluster ${brokers.join(',')}: ${RUNS} runs × ${TRANSACTIONS} transactions × ${PER_TX} records of ${VALUE_BYTES} B over ${brokers.length} partitions\n`,
);
console.log('| run | path | sent | read (kcat, read_committed) | duplicates | missing | out of order | records/s |');
console.log('|---:|---|---:|---:|---:|---:|---:|---:|');
for (let run = 1; run <= RUNS; run++) {
  for (const [label, path] of paths) {
    const topic = uniqueName('bench-cluster');
    await createSpreadTopic(topic);
    const r = await path(topic);
    (results.get(label) ?? results.set(label, []).get(label)!).push(r);
    console.log(
      `| ${run} | ${label} | ${fmt(r.sent)} | ${fmt(r.read)} | ${fmt(r.duplicates)} | ${fmt(r.missing)} | ${fmt(r.outOfOrder)} | ${fmt(r.recordsPerSecond)} |`,
    );
  }
}
console.log('\n| path | runs with a duplicate | duplicates (median) | records/s (median) |');
console.log('|---|---:|---:|---:|');
for (const [label, rs] of results) {
  console.log(
    `| ${label} | ${rs.filter((r) => r.duplicates > 0).length} of ${rs.length} | ${fmt(spread(rs.map((r) => r.duplicates)).median)} | ${fmt(spread(rs.map((r) => r.recordsPerSecond)).median)} |`,
  );
}
const lockstepRuns = results.get(paths[1][0]) ?? [];
process.exitCode = lockstepRuns.some((r) => r.duplicates + r.missing + r.outOfOrder > 0) ? 1 : 0;
