import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokersFromEnv } from '@lockstep/core';
import { createTopics, kcatReadCommitted, testKafka, uniqueName, waitFor } from '@lockstep/testing';

/**
 * Proof that the broker we run speaks every Kafka feature Lockstep depends on, through
 * kafkajs 2.2.4 (our client) and kcat (an outside client). These tests decide the broker
 * version: see scripts/infra/KAFKA_VERSION.md.
 */
const kafka = testKafka('lockstep-broker-proof');
const execFileAsync = promisify(execFile);

async function consumeUntil(
  topic: string,
  groupId: string,
  done: (values: string[]) => boolean,
  options: { readUncommitted?: boolean } = {},
): Promise<{ values: string[]; consumer: Consumer }> {
  const consumer = kafka.consumer({ groupId, readUncommitted: options.readUncommitted ?? false, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }: { message: KafkaMessage }) => {
      values.push(message.value?.toString() ?? '');
    },
  });
  await waitFor(`records on ${topic}`, () => done(values), { timeoutMs: 60_000 });
  return { values, consumer };
}

describe('Kafka broker (real, KRaft) with kafkajs 2.2.4 and kcat', () => {
  const admin = kafka.admin();

  beforeAll(async () => {
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it('creates topics with several partitions (admin API)', async () => {
    const topic = uniqueName('proof-admin');
    await createTopics([topic], { partitions: 3 });
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
    expect(await admin.listTopics()).toContain(topic);
  });

  it('accepts an idempotent producer and delivers its records once', async () => {
    const topic = uniqueName('proof-idem');
    await createTopics([topic]);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let i = 0; i < 20; i++) await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: `m${i}` }] });
    } finally {
      await producer.disconnect();
    }
    const { values, consumer } = await consumeUntil(topic, uniqueName('g'), (v) => v.length >= 20);
    await consumer.disconnect();
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
  });

  it('hides an aborted transaction from read_committed readers, and shows it to read_uncommitted ones', async () => {
    const topic = uniqueName('proof-txn');
    await createTopics([topic]);
    const producer = kafka.producer({ transactionalId: uniqueName('proof-tx'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (const [value, outcome] of [
        ['committed-1', 'commit'],
        ['aborted', 'abort'],
        ['committed-2', 'commit'],
      ] as const) {
        const tx = await producer.transaction();
        await tx.send({ topic, messages: [{ key: 'k', value }] });
        await (outcome === 'commit' ? tx.commit() : tx.abort());
      }
    } finally {
      await producer.disconnect();
    }

    // One partition, so an aborted record visible to this reader would arrive before committed-2.
    const committed = await consumeUntil(topic, uniqueName('g'), (v) => v.includes('committed-2'));
    await committed.consumer.disconnect();
    expect(committed.values).toEqual(['committed-1', 'committed-2']);

    // The aborted record is physically in the log: a read_uncommitted reader sees it. This is
    // what makes the assertion above able to fail.
    const uncommitted = await consumeUntil(topic, uniqueName('g'), (v) => v.includes('committed-2'), { readUncommitted: true });
    await uncommitted.consumer.disconnect();
    expect(uncommitted.values).toEqual(['committed-1', 'aborted', 'committed-2']);

    // An outside client (kcat, librdkafka) agrees.
    expect((await kcatReadCommitted(topic)).map((r) => r.value)).toEqual(['committed-1', 'committed-2']);
    const { stdout } = await execFileAsync('kcat', [
      '-C',
      '-b',
      kafkaBrokersFromEnv(process.env).join(','),
      '-t',
      topic,
      '-o',
      'beginning',
      '-e',
      '-q',
      '-X',
      'isolation.level=read_uncommitted',
      '-f',
      '%s\n',
    ]);
    expect(stdout.trim().split('\n')).toEqual(['committed-1', 'aborted', 'committed-2']);
  });

  it('fences an older producer once a newer one has taken the same transactionalId', async () => {
    const topic = uniqueName('proof-fence');
    await createTopics([topic]);
    const transactionalId = uniqueName('proof-fence-tx');
    const send = async (producer: ReturnType<typeof kafka.producer>, value: string) => {
      const tx = await producer.transaction(); // kafkajs initialises the producer id here
      await tx.send({ topic, messages: [{ value }] });
      await tx.commit();
    };
    const older = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    const newer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    await older.connect();
    await newer.connect();
    try {
      await send(older, 'older-before');
      await send(newer, 'newer'); // bumps the epoch: the older producer is now a zombie
      await expect(send(older, 'zombie')).rejects.toMatchObject({ type: 'INVALID_PRODUCER_EPOCH' });
    } finally {
      await older.disconnect();
      await newer.disconnect();
    }
    expect((await kcatReadCommitted(topic)).map((r) => r.value)).toEqual(['older-before', 'newer']);
  });

  it('joins a consumer group and commits offsets that the group coordinator keeps', async () => {
    const topic = uniqueName('proof-group');
    const groupId = uniqueName('proof-group');
    await createTopics([topic]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        seen++;
        await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
      },
    });
    await waitFor('three records consumed', () => seen >= 3);
    await consumer.disconnect();

    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(offsets[0]?.partitions[0]?.offset).toBe('3');
  });
});
