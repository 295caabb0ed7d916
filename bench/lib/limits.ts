import ZongJi from '@vlasky/zongji';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { kafkaBrokersFromEnv, type MysqlConnectionOptions } from '@lockstep/core';
import { createTopics } from '@lockstep/testing';
import { connectionOptions, makePayload, AGGREGATE_TYPE, EVENT_TYPE } from './data.js';
import { log, percentile } from './util.js';

/** Limit 1: @vlasky/zongji decoding the backlog's outbox rows alone (no Kafka). Rows/s from the first row to the last. */
export async function zongjiDecodeRate(
  db: MysqlConnectionOptions & { name: string },
  table: string,
  startGtid: string,
  rows: number,
  serverId: number,
): Promise<number> {
  const zongji = new ZongJi({ ...connectionOptions(db), dateStrings: true }) as unknown as {
    on(e: string, h: (...a: never[]) => void): void;
    start(o: Record<string, unknown>): void;
    stop(): void;
  };
  let count = 0;
  let start = 0;
  let end = 0;
  let stopping = false;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`zongji decoded only ${count}/${rows} rows in 300 s`)), 300_000);
    zongji.on(
      'binlog',
      (event: {
        getEventName(): string;
        rows?: unknown[];
        tableMap?: Record<number, { tableName: string }>;
        tableId?: number;
      }) => {
        if (event.getEventName() !== 'writerows') return;
        if (event.tableMap?.[event.tableId ?? -1]?.tableName !== table) return;
        if (count === 0) start = performance.now();
        count += event.rows?.length ?? 0;
        if (count >= rows && !end) {
          end = performance.now();
          clearTimeout(timer);
          resolve();
        }
      },
    );
    zongji.on('error', (e: Error) => {
      if (!stopping) reject(e);
    });
    zongji.start({
      serverId,
      gtidSet: startGtid,
      includeEvents: ['tablemap', 'writerows'],
      includeSchema: { [db.name]: [table] },
    });
  });
  stopping = true;
  zongji.stop();
  // Steady rate, first decoded row to the last (like the systems' "steady" figure).
  return (rows - 1) / ((end - start) / 1000);
}

export const KAFKA_LIMIT_BATCH = 1000;
/** Records per transaction are also capped by bytes: the broker refuses a partition batch over ~1 MB. */
export const KAFKA_LIMIT_BATCH_BYTES = 2_500_000;
export const kafkaLimitBatch = (size: number): number =>
  Math.max(1, Math.min(KAFKA_LIMIT_BATCH, Math.floor(KAFKA_LIMIT_BATCH_BYTES / size)));
export const KAFKA_LIMIT_RETRY_MS = 20;

/**
 * Limit 2: kafkajs transactional produce alone (no DB): same-size records, KAFKA_LIMIT_BATCH per
 * transaction, one transaction at a time. `retry.initialRetryTime` is lowered because Kafka 4 answers
 * CONCURRENT_TRANSACTIONS to a transaction begun right after the previous commit and kafkajs would
 * wait its default 300 ms before retrying.
 */
export async function kafkaTxProduceRate(topic: string, records: number, size: number, partitions: number): Promise<number> {
  await createTopics([topic], { partitions });
  const kafka = new Kafka({
    clientId: 'bench-limit',
    brokers: kafkaBrokersFromEnv(process.env),
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: KAFKA_LIMIT_RETRY_MS, retries: 20 },
  });
  const producer = kafka.producer({ transactionalId: `bench-limit-${topic}`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const value = makePayload('00000000-0000-7000-8000-000000000000', 0, 0, size);
  const perTx = kafkaLimitBatch(size);
  const batch: Message[] = Array.from({ length: perTx }, (_, i) => ({
    key: `agg-${i % 8}-${i % 125}`,
    value,
    headers: {
      'lockstep-id': '00000000-0000-7000-8000-000000000000',
      'lockstep-type': EVENT_TYPE,
      'lockstep-aggregate-type': AGGREGATE_TYPE,
    },
  }));
  const start = performance.now();
  try {
    for (let sent = 0; sent < records; sent += perTx) {
      const tx = await producer.transaction();
      await tx.send({ topic, acks: -1, messages: batch.slice(0, Math.min(perTx, records - sent)) });
      await tx.commit();
    }
  } finally {
    await producer.disconnect();
  }
  const rate = records / ((performance.now() - start) / 1000);
  log(`  kafka transactional produce: ${Math.round(rate)} records/s (${size} B, ${perTx} per transaction)`);
  return rate;
}

export interface SmallTxLatency {
  initialRetryTime: number;
  transactionsPerSec: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Back-to-back small Kafka transactions (3 records each, one at a time, no DB), as a relay under
 * light load commits them: the begin right after a commit meets CONCURRENT_TRANSACTIONS on Kafka 4
 * and kafkajs waits `retry.initialRetryTime` before trying again. Measured per retry setting.
 */
export async function kafkaSmallTxLatency(
  topic: string,
  size: number,
  seconds: number,
  retryTimes: number[],
): Promise<SmallTxLatency[]> {
  await createTopics([topic], { partitions: 3 });
  const value = makePayload('00000000-0000-7000-8000-000000000000', 0, 0, size);
  const out: SmallTxLatency[] = [];
  for (const initialRetryTime of retryTimes) {
    const kafka = new Kafka({
      clientId: 'bench-small-tx',
      brokers: kafkaBrokersFromEnv(process.env),
      logLevel: logLevel.NOTHING,
      retry: { initialRetryTime, maxRetryTime: 2000, retries: 6 },
    });
    const producer = kafka.producer({
      transactionalId: `bench-small-tx-${topic}-${initialRetryTime}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const times: number[] = [];
    const start = performance.now();
    const end = start + seconds * 1000;
    try {
      while (performance.now() < end) {
        const t = performance.now();
        const tx = await producer.transaction();
        await tx.send({ topic, acks: -1, messages: [0, 1, 2].map((i) => ({ key: `agg-${i}`, value })) });
        await tx.commit();
        times.push(performance.now() - t);
      }
    } finally {
      await producer.disconnect();
    }
    times.sort((a, b) => a - b);
    const r = {
      initialRetryTime,
      transactionsPerSec: times.length / ((performance.now() - start) / 1000),
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      max: times[times.length - 1],
    };
    out.push(r);
    log(
      `  kafka small transactions, initialRetryTime=${initialRetryTime}: ${Math.round(r.transactionsPerSec)} tx/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`,
    );
  }
  return out;
}
