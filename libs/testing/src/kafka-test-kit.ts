import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaBrokersFromEnv, kafkaConnectionFromEnv, type KafkaConnectionOptions } from '@lockstep/core';

const execFileAsync = promisify(execFile);

/** A record as an outside reader sees it: no Lockstep code involved in reading it. */
export interface ReadRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Brokers and security of the test broker (LOCKSTEP_KAFKA_*), as Lockstep's options take them. */
export function testKafkaConnection(): KafkaConnectionOptions {
  return kafkaConnectionFromEnv(process.env);
}

export function testKafka(clientId = 'lockstep-test'): Kafka {
  return new Kafka({ clientId, brokers: kafkaBrokersFromEnv(process.env), logLevel: logLevel.NOTHING });
}

/**
 * Creates `topics` on the test broker, or on `kafka` (e.g. testCluster().kafka()).
 * `replicationFactor` defaults to 1 (the single test broker); a cluster test asks for 3.
 */
export async function createTopics(
  topics: string[],
  {
    partitions = 1,
    compacted = false,
    replicationFactor = 1,
    kafka = testKafka(),
  }: { partitions?: number; compacted?: boolean; replicationFactor?: number; kafka?: Kafka } = {},
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor,
        configEntries: compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
      })),
    });
  } finally {
    await admin.disconnect();
  }
}

const SEP = 0x1f;

/**
 * Reads every record of `topics` up to the end of each partition with `kcat` in
 * `read_committed` mode: an independent, librdkafka-based client that knows nothing about
 * Lockstep. kcat stops at the last stable offset, so open or aborted transactions never show.
 * Values and keys are length-prefixed (%S, %K), so any bytes survive the parse.
 */
export async function readAllCommitted(
  topics: string[],
  { brokers = kafkaBrokersFromEnv(process.env).join(','), timeoutMs = 180_000 }: { brokers?: string; timeoutMs?: number } = {},
): Promise<ReadRecord[]> {
  const records: ReadRecord[] = [];
  for (const topic of topics) {
    const { stdout } = await execFileAsync(
      'kcat',
      [
        '-C',
        '-b',
        brokers,
        '-t',
        topic,
        '-o',
        'beginning',
        '-e',
        '-q',
        '-X',
        'isolation.level=read_committed',
        '-f',
        '%p\x1f%o\x1f%K\x1f%k\x1f%h\x1f%S\x1f%s\n',
      ],
      // kcat can hang in read_committed right after a broker restart: never wait forever.
      { maxBuffer: 1024 * 1024 * 1024, encoding: 'buffer', timeout: timeoutMs, killSignal: 'SIGKILL' },
    );
    let at = 0;
    const field = (): string => {
      const end = stdout.indexOf(SEP, at);
      if (end < 0) throw new Error(`kcat output for ${topic} is malformed at byte ${at}`);
      const text = stdout.subarray(at, end).toString('utf8');
      at = end + 1;
      return text;
    };
    const bytes = (length: number): Buffer => {
      const out = stdout.subarray(at, at + length);
      at += length;
      return Buffer.from(out);
    };
    while (at < stdout.length) {
      const partition = Number(field());
      const offset = field();
      const keyLength = Number(field());
      const key = keyLength >= 0 ? bytes(keyLength).toString('utf8') : null;
      at += 1; // separator after the key
      const headerText = field();
      const valueLength = Number(field());
      const value = valueLength >= 0 ? bytes(valueLength) : null;
      at += 1; // the record's closing newline
      const headers: Record<string, string> = {};
      for (const pair of headerText ? headerText.split(',') : []) {
        const eq = pair.indexOf('=');
        headers[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      records.push({ topic, partition, offset, key, value, headers });
    }
  }
  return records;
}

/** Values of one topic as kcat reads them in read_committed mode (simple text payloads). */
export async function kcatReadCommitted(topic: string): Promise<Array<{ partition: number; key: string | null; value: string }>> {
  return (await readAllCommitted([topic])).map((r) => ({
    partition: r.partition,
    key: r.key,
    value: r.value?.toString('utf8') ?? '',
  }));
}

/**
 * A second outside reader, a plain kafkajs consumer in read_committed mode (no Lockstep code),
 * to cross-check kcat when a test finds something suspicious: two clients that disagree point
 * at a reader, two that agree point at the log. Reads each topic to its end at the time of call.
 */
export async function readAllCommittedKafkajs(
  topics: string[],
  { brokers = kafkaBrokersFromEnv(process.env).join(','), timeoutMs = 120_000 }: { brokers?: string; timeoutMs?: number } = {},
): Promise<ReadRecord[]> {
  const kafka = new Kafka({ clientId: 'lockstep-test-reader', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, bigint>();
  try {
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(p.high) > BigInt(p.low)) ends.set(`${topic}/${p.partition}`, BigInt(p.high));
      }
    }
  } finally {
    await admin.disconnect();
  }
  const records: ReadRecord[] = [];
  if (ends.size === 0) return records;
  const consumer = kafka.consumer({ groupId: uniqueName('lockstep-test-reader'), readUncommitted: false, maxWaitTimeInMs: 100 });
  try {
    await consumer.connect();
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`kafkajs reader: not at the end of ${topics.join(', ')} after ${timeoutMs} ms`)),
        timeoutMs,
      );
      // END_BATCH_PROCESS also fires for batches of markers or aborted records only.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const key = `${payload.topic}/${payload.partition}`;
        const end = ends.get(key);
        if (end !== undefined && BigInt(payload.lastOffset) >= end - 1n) ends.delete(key);
        if (ends.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              const headers: Record<string, string> = {};
              for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = String(v);
              records.push({
                topic: batch.topic,
                partition: batch.partition,
                offset: m.offset,
                key: m.key?.toString('utf8') ?? null,
                value: m.value,
                headers,
              });
            }
          },
        })
        .catch((error: unknown) => {
          clearTimeout(timer);
          reject(error);
        });
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return records;
}
