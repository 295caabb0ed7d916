import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { LockstepHeader, type KafkaConnectionOptions } from '@lockstep/core';
import { DeadLetterHeader, redriveHeaders } from '../core/dead-letter-headers.js';
import { createKafka } from '../adapters/kafkajs/kafka-client.js';
import { headersToStrings } from '../adapters/kafkajs/kafka-headers.js';

/** A record of a dead-letter topic, with its dead-letter headers decoded. */
export interface DeadLetterRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  eventId: string | undefined;
  eventType: string | undefined;
  reason: string | undefined;
  error: string | undefined;
  consumer: string | undefined;
  originalTopic: string | undefined;
  originalPartition: number | undefined;
  originalOffset: string | undefined;
  deadLetteredAt: string | undefined;
}

export interface DeadLetterReadOptions {
  /** The dead-letter topic, e.g. `lockstep.order.dlq`. */
  deadLetterTopic: string;
  /** Brokers and security (`kafkaConnectionFromEnv(process.env)` reads LOCKSTEP_KAFKA_*). */
  kafka: KafkaConnectionOptions;
  /** Only records dead-lettered by this consumer (`lockstep-dlq-consumer`). */
  consumer?: string;
  /** Only records with one of these reasons (`lockstep-dlq-reason`). */
  reasons?: string[];
  /** Give up reading after this long. Default 60 s. */
  timeoutMs?: number;
}

export interface DeadLetterRedriveOptions extends DeadLetterReadOptions {
  /** Kafka group whose committed offsets mark what was already re-driven, so running the
   * command twice never re-drives a record twice. Default `lockstep-dlq-redrive.<topic>`. */
  cursorGroup?: string;
  /** List what would be re-driven; send nothing, move no cursor. */
  dryRun?: boolean;
}

export interface DeadLetterRedriveResult {
  /** Records read past the cursor that matched the filters. */
  matched: DeadLetterRecord[];
  /** Records sent back to their original topic. */
  redriven: number;
  /** Second dead letters of the same event for the same consumer (after a crash): sent once. */
  duplicates: number;
}

const decode = (
  partition: number,
  m: { offset: string; key: Buffer | null; value: Buffer | null; headers?: Parameters<typeof headersToStrings>[0] },
): DeadLetterRecord => {
  const h = headersToStrings(m.headers);
  const p = h[DeadLetterHeader.originalPartition];
  return {
    partition,
    offset: m.offset,
    key: m.key,
    value: m.value,
    headers: { ...h },
    eventId: h[LockstepHeader.id],
    eventType: h[LockstepHeader.type],
    reason: h[DeadLetterHeader.reason],
    error: h[DeadLetterHeader.error],
    consumer: h[DeadLetterHeader.consumer],
    originalTopic: h[DeadLetterHeader.originalTopic],
    originalPartition: p === undefined ? undefined : Number(p),
    originalOffset: h[DeadLetterHeader.originalOffset],
    deadLetteredAt: h[DeadLetterHeader.at],
  };
};

/**
 * Reads `topic` from `groupId`'s committed offsets (or the beginning) up to the end offsets
 * taken when the call starts. Returns the records and a function committing the end offsets.
 */
async function readToEnd(
  kafka: Kafka,
  topic: string,
  groupId: string,
  timeoutMs: number,
): Promise<{ records: DeadLetterRecord[]; commit: () => Promise<void>; close: () => Promise<void> }> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  let starts: Map<number, bigint>;
  try {
    const high = await admin.fetchTopicOffsets(topic);
    const low = new Map(high.map((o) => [o.partition, BigInt(o.low)]));
    ends = new Map(high.map((o) => [o.partition, BigInt(o.high)]));
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    starts = new Map(
      (committed[0]?.partitions ?? []).map((p) => [
        p.partition,
        Number(p.offset) >= 0 ? BigInt(p.offset) : (low.get(p.partition) ?? 0n),
      ]),
    );
    for (const [p, l] of low) if (!starts.has(p)) starts.set(p, l);
  } finally {
    await admin.disconnect();
  }
  const pending = new Set([...ends].filter(([p, end]) => (starts.get(p) ?? 0n) < end).map(([p]) => p));
  const records: DeadLetterRecord[] = [];
  const consumer = kafka.consumer({ groupId, readUncommitted: false, allowAutoTopicCreation: false });
  const close = async () => {
    await consumer.disconnect().catch(() => undefined);
  };
  if (pending.size === 0) return { records, commit: async () => undefined, close };
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch }) => {
      const end = ends.get(batch.partition) ?? 0n;
      for (const m of batch.messages) {
        if (BigInt(m.offset) >= end) break;
        records.push(decode(batch.partition, m));
      }
      if (BigInt(batch.lastOffset()) + 1n >= end) {
        pending.delete(batch.partition);
        consumer.pause([{ topic, partitions: [batch.partition] }]);
        if (pending.size === 0) finish();
      }
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`reading ${topic} did not reach its end within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([done, timeout]);
  } catch (error) {
    await close();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  records.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
  return {
    records,
    commit: () => consumer.commitOffsets([...ends].map(([partition, end]) => ({ topic, partition, offset: end.toString() }))),
    close,
  };
}

const matches = (r: DeadLetterRecord, o: DeadLetterReadOptions): boolean =>
  (!o.consumer || r.consumer === o.consumer) && (!o.reasons?.length || (r.reason !== undefined && o.reasons.includes(r.reason)));

/** Lists every record of a dead-letter topic (nothing is consumed or moved). */
export async function listDeadLetters(options: DeadLetterReadOptions): Promise<DeadLetterRecord[]> {
  const kafka = createKafka(options.kafka, 'lockstep-dlq');
  const { records, close } = await readToEnd(
    kafka,
    options.deadLetterTopic,
    `lockstep-dlq-list-${randomBytes(6).toString('hex')}`,
    options.timeoutMs ?? 60_000,
  );
  await close();
  return records.filter((r) => matches(r, options));
}

/**
 * Sends dead letters back to their original topic, with their original key, value and headers
 * plus `lockstep-redriven-at/-from`. The consumer that dead-lettered an event applies the
 * re-driven copy (and releases its parked key when it is the head); consumers that had applied
 * it skip it by their inbox. Records past the cursor that do not match the filters are passed
 * over for good (the cursor moves past them); use a `cursorGroup` per filter to keep them.
 */
export async function redriveDeadLetters(options: DeadLetterRedriveOptions): Promise<DeadLetterRedriveResult> {
  const kafka = createKafka(options.kafka, 'lockstep-dlq');
  const group = options.cursorGroup ?? `lockstep-dlq-redrive.${options.deadLetterTopic}`;
  const read = await readToEnd(
    kafka,
    options.deadLetterTopic,
    options.dryRun ? `lockstep-dlq-list-${randomBytes(6).toString('hex')}` : group,
    options.timeoutMs ?? 60_000,
  );
  try {
    const matched = read.records.filter((r) => matches(r, options));
    if (options.dryRun) return { matched, redriven: 0, duplicates: 0 };
    const seen = new Set<string>();
    let redriven = 0;
    let duplicates = 0;
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const at = new Date();
      for (const r of matched) {
        if (!r.originalTopic) continue;
        const id = r.eventId ? `${r.consumer}\u0000${r.eventId}` : undefined;
        if (id && seen.has(id)) {
          duplicates++;
          continue;
        }
        if (id) seen.add(id);
        // One at a time, in dead-letter order: records of one key keep their order.
        await producer.send({
          topic: r.originalTopic,
          acks: -1,
          messages: [
            {
              key: r.key,
              value: r.value,
              headers: redriveHeaders(r.headers, `${options.deadLetterTopic}:${r.partition}:${r.offset}`, at),
            },
          ],
        });
        redriven++;
      }
    } finally {
      await producer.disconnect();
    }
    // After the sends: a crash in between re-drives again (the consumer's inbox absorbs it)
    // rather than losing the records.
    await read.commit();
    return { matched, redriven, duplicates };
  } finally {
    await read.close();
  }
}
