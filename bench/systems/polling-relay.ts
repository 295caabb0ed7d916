/**
 * A polling outbox relay: the common hand-written alternative to binlog tailing, written the way
 * blog posts and many services do it. At-least-once: a crash between the Kafka send and the
 * MySQL commit re-sends the batch.
 *
 *   loop:
 *     BEGIN
 *     SELECT … FROM <table> WHERE published_at IS NULL ORDER BY id LIMIT <batch> FOR UPDATE SKIP LOCKED
 *     kafkajs idempotent producer: send the batch (acks=all), in sends of at most 900 KB
 *     UPDATE <table> SET published_at = NOW(6) WHERE id IN (…)
 *     COMMIT
 *     if the batch was empty: sleep <interval>
 *
 * Its table is the outbox DDL plus `published_at DATETIME(6) NULL` and KEY (published_at, id).
 * Env: POLLING_MYSQL_URL, POLLING_TABLE, POLLING_TOPIC_PREFIX, POLLING_BATCH (1000),
 * POLLING_INTERVAL_MS (50), LOCKSTEP_KAFKA_BROKERS.
 */
import mysql from 'mysql2/promise';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { kafkaBrokersFromEnv, LockstepHeader, parseMysqlUrl, uuidToString } from '@lockstep/core';

const url = process.env.POLLING_MYSQL_URL ?? '';
const table = process.env.POLLING_TABLE ?? 'outbox_polling';
const prefix = process.env.POLLING_TOPIC_PREFIX ?? 'lockstep';
const batch = Number(process.env.POLLING_BATCH ?? 1000);
const intervalMs = Number(process.env.POLLING_INTERVAL_MS ?? 50);
const MAX_SEND_BYTES = 900_000;

interface Row {
  id: Buffer;
  aggregate_type: string;
  aggregate_id: string;
  event_type: string;
  payload: Buffer;
  headers: string | null;
  created_at: string;
}

let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});

async function main(): Promise<void> {
  const conn = await mysql.createConnection({ ...parseMysqlUrl(url), dateStrings: true });
  const kafka = new Kafka({ clientId: 'polling-relay', brokers: kafkaBrokersFromEnv(process.env), logLevel: logLevel.ERROR });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const select = `SELECT id, aggregate_type, aggregate_id, event_type, payload, headers, created_at FROM \`${table}\`
    WHERE published_at IS NULL ORDER BY id LIMIT ${batch} FOR UPDATE SKIP LOCKED`;
  while (!stopping) {
    await conn.beginTransaction();
    try {
      const [rows] = (await conn.query(select)) as unknown as [Row[]];
      if (rows.length === 0) {
        await conn.commit();
        await new Promise((r) => setTimeout(r, intervalMs));
        continue;
      }
      // Sends of at most MAX_SEND_BYTES: the broker refuses a partition batch over ~1 MB, and
      // kafkajs puts a whole send for one partition into one batch.
      let byTopic = new Map<string, Message[]>();
      let bytes = 0;
      const flush = async (): Promise<void> => {
        if (byTopic.size === 0) return;
        await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
        byTopic = new Map();
        bytes = 0;
      };
      for (const r of rows) {
        const topic = `${prefix}.${r.aggregate_type}`;
        const headers: Record<string, string> = {
          [LockstepHeader.id]: uuidToString(r.id),
          [LockstepHeader.type]: r.event_type,
          [LockstepHeader.aggregateType]: r.aggregate_type,
          [LockstepHeader.aggregateId]: r.aggregate_id,
          [LockstepHeader.occurredAt]: r.created_at,
        };
        if (r.headers) Object.assign(headers, JSON.parse(r.headers) as Record<string, string>);
        const size = r.payload.length + r.aggregate_id.length + 200;
        if (bytes + size > MAX_SEND_BYTES) await flush();
        let list = byTopic.get(topic);
        if (!list) byTopic.set(topic, (list = []));
        list.push({ key: r.aggregate_id, value: r.payload, headers });
        bytes += size;
      }
      await flush();
      await conn.query(`UPDATE \`${table}\` SET published_at = NOW(6) WHERE id IN (?)`, [rows.map((r) => r.id)]);
      await conn.commit();
    } catch (error) {
      await conn.rollback().catch(() => undefined);
      process.stderr.write(`polling relay: ${(error as Error).message}\n`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  await producer.disconnect();
  await conn.end();
}

main().catch((error) => {
  process.stderr.write(`polling relay failed: ${(error as Error).stack}\n`);
  process.exit(1);
});
