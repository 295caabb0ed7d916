/**
 * Relay benchmark: catch-up throughput and live commit -> read_committed latency, next to the
 * raw limits measured in the same run (zongji decode alone, kafkajs transactional produce alone).
 *
 *   node --conditions=lockstep-source --import @swc-node/register/esm-register bench/relay-throughput.bench.ts [--quick] [--events N]
 *
 * Writes a Markdown table to stdout and bench/results/relay.md. Uses the servers of
 * LOCKSTEP_MYSQL_URL / LOCKSTEP_KAFKA_BROKERS (scripts/infra/lockstep-infra.sh up).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { kafkaConnectionFromEnv } from '@lockstep/core';
import { KafkaTransactionalPublisher, Relay, ZongjiBinlogSource, type GtidPosition, type RelayRecord } from '@lockstep/relay';
import {
  applyLockstepSchema,
  createRelayUser,
  createTestDatabase,
  createTopics,
  gtidBinlogPos,
  insertOutboxRows,
  testKafka,
  testOutboxEvent,
  uniqueName,
} from '@lockstep/testing';
import { sleep } from './lib/util.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const eventsArg = args.indexOf('--events');
const BACKLOG = eventsArg >= 0 ? Number(args[eventsArg + 1]) : quick ? 10_000 : 200_000;
const LIVE_RATE = 200; // source transactions per second, one event each
const LIVE_SECONDS = quick ? 10 : 30;
const pad = 'p'.repeat(440);
const silent = { log: () => undefined, warn: (m: string) => console.error(m), error: (m: string) => console.error(m) };
const pct = (xs: number[], p: number): number =>
  xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main(): Promise<void> {
  const db = await createTestDatabase('bench');
  await applyLockstepSchema(db);
  const user = await createRelayUser(db);
  const admin = await db.admin();
  const rows: string[] = [];
  try {
    // 1. Backlog in the binlog.
    const startGtid = (await gtidBinlogPos(admin)) as GtidPosition;
    const tw = performance.now();
    for (let written = 0; written < BACKLOG;) {
      const n = Math.min(1000, BACKLOG - written);
      await admin.beginTransaction();
      await insertOutboxRows(
        admin,
        Array.from({ length: n }, (_, i) => testOutboxEvent('bench', `agg-${(written + i) % 100}`, { seq: written + i, pad })),
      );
      await admin.commit();
      written += n;
    }
    const writeS = (performance.now() - tw) / 1000;

    // 2. Raw decode: the zongji source alone, reading the backlog.
    const source = new ZongjiBinlogSource({
      connection: user.connection,
      serverId: 900_000 + Math.floor(Math.random() * 1000),
      database: db.name,
      table: 'lockstep_outbox',
      heartbeatMs: 5000,
    });
    let decoded = 0;
    let sourceTxs = 0;
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      void source.start(startGtid, {
        onTransaction: (tx) => {
          decoded += tx.rows.length;
          if (tx.rows.length > 0) sourceTxs += 1;
          if (decoded >= BACKLOG) resolve();
        },
        onError: reject,
      });
    });
    const decodeS = (performance.now() - t0) / 1000;
    await source.stop();

    // 3. Raw produce: the transactional publisher alone, 5000-event transactions.
    const prefix = uniqueName('bench');
    const publisher = new KafkaTransactionalPublisher({
      connection: kafkaConnectionFromEnv(process.env),
      relayName: `${prefix}-raw`,
      transactionalId: `lockstep-bench-${prefix}`,
      checkpointTopic: `${prefix}.raw-checkpoints`,
      topicPartitions: 3,
      transactionTimeoutMs: 60_000,
      maxRequestBytes: 900 * 1024,
      checkpointReadTimeoutMs: 30_000,
    });
    await publisher.connect();
    await publisher.ensureTopics([`${prefix}.raw`]);
    const value = Buffer.from(JSON.stringify({ seq: 0, pad }));
    const t1 = performance.now();
    for (let sent = 0; sent < BACKLOG; sent += 5000) {
      const batch: RelayRecord[] = Array.from({ length: Math.min(5000, BACKLOG - sent) }, (_, i) => ({
        topic: `${prefix}.raw`,
        key: `agg-${i % 100}`,
        value,
        headers: {
          'lockstep-id': '0190d6f8-0000-7000-8000-000000000000',
          'lockstep-type': 'bench.changed',
          'lockstep-aggregate-type': 'bench',
          'lockstep-aggregate-id': `agg-${i % 100}`,
          'lockstep-occurred-at': '2026-11-24T00:00:00.000000Z',
        },
      }));
      await publisher.publish(batch, {
        gtidSet: '' as GtidPosition,
        lastEventId: null,
        lastEventCreatedAt: null,
        eventsPublished: sent,
        at: new Date().toISOString(),
      });
    }
    const produceS = (performance.now() - t1) / 1000;
    await publisher.close();

    // 4. The relay catching up on the backlog.
    const relay = new Relay({
      name: `${prefix}-relay`,
      mysql: user.connection,
      kafka: kafkaConnectionFromEnv(process.env),
      topicPrefix: prefix,
      initialPosition: { gtidSet: startGtid },
      logger: silent,
    });
    let published = 0;
    let batches = 0;
    const commitMs: number[] = [];
    let caughtUp!: () => void;
    const done = new Promise<void>((r) => (caughtUp = r));
    relay.on('batch', (b) => {
      published += b.events;
      batches += 1;
      commitMs.push(b.commitMs);
      if (published >= BACKLOG) caughtUp();
    });
    const t2 = performance.now();
    await relay.start();
    await done;
    const relayS = (performance.now() - t2) / 1000;
    const catchUpBatches = batches;
    const catchUpCommitMs = [...commitMs];

    // 5. Live: fixed write rate, latency from the client's COMMIT returning to a read_committed consumer seeing it.
    const committedAt = new Map<string, number>();
    const latencies: number[] = [];
    const consumer = testKafka('bench').consumer({ groupId: `${prefix}-live`, readUncommitted: false, maxWaitTimeInMs: 20 });
    await createTopics([`${prefix}.live`], { partitions: 3 });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}.live`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const id = message.headers?.['lockstep-id']?.toString();
        const at = id ? committedAt.get(id) : undefined;
        if (at !== undefined) latencies.push(performance.now() - at);
      },
    });
    await sleep(3000); // let the consumer group settle before measuring
    const total = LIVE_RATE * LIVE_SECONDS;
    const tl = performance.now();
    for (let i = 0; i < total; i += 1) {
      const e = testOutboxEvent('live', `agg-${i % 20}`, { seq: i, pad });
      await insertOutboxRows(admin, [e]);
      committedAt.set(e.id, performance.now());
      const due = tl + ((i + 1) * 1000) / LIVE_RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
    }
    const deadline = Date.now() + 30_000;
    while (latencies.length < total && Date.now() < deadline) await sleep(100);
    await consumer.disconnect();
    await relay.stop();

    rows.push(
      `# Relay benchmark`,
      ``,
      `${new Date().toISOString()}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, backlog ${BACKLOG} events of ~500 B, ${quick ? '--quick' : 'full'} run.`,
      `Shared machine: other test suites may have been running at the same time.`,
      ``,
      `| measurement | events | seconds | events/s |`,
      `|---|---:|---:|---:|`,
      `| write backlog (1000-row transactions, one connection) | ${BACKLOG} | ${writeS.toFixed(2)} | ${Math.round(BACKLOG / writeS)} |`,
      `| raw: zongji decode alone (ZongjiBinlogSource, ${sourceTxs} source tx) | ${BACKLOG} | ${decodeS.toFixed(2)} | ${Math.round(BACKLOG / decodeS)} |`,
      `| raw: kafkajs transactional produce alone (5000/tx) | ${BACKLOG} | ${produceS.toFixed(2)} | ${Math.round(BACKLOG / produceS)} |`,
      `| **relay catch-up** (start -> all published, ${catchUpBatches} Kafka tx) | ${BACKLOG} | ${relayS.toFixed(2)} | **${Math.round(BACKLOG / relayS)}** |`,
      ``,
      `Kafka transaction (send+commit) during catch-up: p50 ${pct(catchUpCommitMs, 50).toFixed(1)} ms, p99 ${pct(catchUpCommitMs, 99).toFixed(1)} ms; live phase: ${batches - catchUpBatches} Kafka tx for ${LIVE_RATE * LIVE_SECONDS} source tx.`,
      ``,
      `| live (${LIVE_RATE} tx/s x ${LIVE_SECONDS} s, 1 event/tx) | value |`,
      `|---|---:|`,
      `| events seen by a read_committed consumer | ${latencies.length} / ${total} |`,
      `| commit -> visible p50 | ${pct(latencies, 50).toFixed(1)} ms |`,
      `| commit -> visible p99 | ${pct(latencies, 99).toFixed(1)} ms |`,
      `| commit -> visible max | ${Math.max(...latencies).toFixed(1)} ms |`,
      ``,
    );
  } finally {
    await admin.end();
    await user.dropUser();
    await db.drop();
  }
  const md = rows.join('\n');
  console.log(md);
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(new URL('./results/relay.md', import.meta.url), md);
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
