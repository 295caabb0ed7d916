import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { register, type Histogram } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockstepHeader, uuidToString, uuidv7Bytes } from '@lockstep/core';
import {
  applyLockstepSchema,
  createTestDatabase,
  LOCKSTEP_CLI,
  createTopics,
  readAllCommitted,
  testKafka,
  testKafkaConnection,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@lockstep/testing';
import { DeadLetterHeader, listDeadLetters } from '@lockstep/consumer';
import { fixtureSwitches, startTotalsConsumer, type RunningConsumer } from './fixtures/totals.fixture.js';
import {
  amountRecord,
  applyConsumerFixtureSchema,
  produceWire,
  readTotals,
  type AmountEvent,
  type WireRecord,
} from './consumer-test-kit.js';

const exec = promisify(execFile);
const ev = (account: string, seq: number, amount: number, poison = false): AmountEvent => ({
  id: uuidToString(uuidv7Bytes()),
  account,
  seq,
  amount,
  ...(poison ? { poison } : {}),
});

async function dbRows<T>(db: TestDatabase, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = await db.admin();
  try {
    const [rows] = await c.query(sql, params);
    return rows as T[];
  } finally {
    await c.end();
  }
}

/**
 * Failure policy: poison, oversized, malformed, `__proto__`, invalid and unknown-type records on
 * ONE partition (so a blocked partition would show), same-key parking, and the redrive command.
 */
describe('consumer failure policy (real MariaDB + Kafka)', () => {
  let db: TestDatabase;
  const running: RunningConsumer[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('cfail');
    await applyLockstepSchema(db);
    await applyConsumerFixtureSchema(db);
  });

  afterAll(async () => {
    fixtureSwitches.poisonFails = true;
    for (const r of running) await r.close().catch(() => undefined);
    await db?.drop();
  });

  it('dead-letters bad records with reasons, parks their keys, keeps other keys flowing; redrive applies them after the fix', async () => {
    const topic = uniqueName('ctest.fail');
    const dlq = `${topic}.dlq`;
    const consumerName = uniqueName('fail');
    await createTopics([topic], { partitions: 1 });

    const a1 = ev('a', 1, 10);
    const p1 = ev('p', 1, 100, true); // poison: handler always throws (until the fix)
    const p2 = ev('p', 2, 200); // good, but behind p1: parked
    const o1 = ev('o', 1, 5);
    const m1 = ev('m', 1, 5);
    const x1 = ev('x', 1, 5);
    const v1 = ev('v', 1, 5);
    const u1 = ev('u', 1, 5);
    const b1 = ev('b', 1, 20);
    const a2 = ev('a', 2, 30);
    const p3 = ev('p', 3, 300); // still parked
    const b2 = ev('b', 2, 40);
    const records: WireRecord[] = [
      amountRecord(a1),
      amountRecord(p1),
      amountRecord(p2),
      amountRecord(o1, { value: Buffer.from(JSON.stringify({ account: 'o', amount: 5, seq: 1, pad: 'x'.repeat(4096) })) }),
      amountRecord(m1, { value: Buffer.from('{"account":"m","amount":') }),
      amountRecord(x1, { value: Buffer.from('{"account":"x","amount":5,"seq":1,"__proto__":{"polluted":true}}') }),
      amountRecord(v1, { value: Buffer.from(JSON.stringify({ account: 'v', amount: 'lots', seq: 1 })) }),
      amountRecord(u1, { type: 'ctest.nobody-handles-this' }),
      amountRecord(b1),
      amountRecord(a2),
      amountRecord(p3),
      amountRecord(b2),
    ];
    await produceWire(topic, records);

    const consumer = await startTotalsConsumer(db.url, {
      consumerName,
      topics: [topic],
      maxPayloadBytes: 2048,
      maxAttempts: 3,
      backoff: { initialMs: 20, maxMs: 50 },
    });
    running.push(consumer);
    await waitFor(
      'every good key applied',
      async () => {
        const t = await readTotals(db);
        return (t.a?.n === 2 && t.b?.n === 2) || undefined;
      },
      { timeoutMs: 60_000 },
    );
    await waitFor(
      'the partition fully processed (offset stored past the last record)',
      async () => {
        const rows = await dbRows<{ next_offset: string }>(
          db,
          'SELECT next_offset FROM lockstep_consumer_offsets WHERE group_id = ?',
          [consumerName],
        );
        return (rows[0] && Number(rows[0].next_offset) >= records.length) || undefined;
      },
      { timeoutMs: 60_000 },
    );

    expect(await readTotals(db)).toEqual({ a: { n: 2, sum: 40 }, b: { n: 2, sum: 60 } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const counted = (await register.getSingleMetric('lockstep_consumer_events_total')!.get()).values;
    const outcome = (o: string) => counted.find((v) => v.labels.consumer === consumerName && v.labels.outcome === o)?.value;
    expect(outcome('skipped_unknown')).toBe(1); // unknown type: skipped and counted, not dead-lettered
    expect(outcome('applied')).toBe(4);
    expect(outcome('dead_lettered')).toBe(5);
    expect(outcome('parked')).toBe(2);
    const lag = (await (register.getSingleMetric('lockstep_consumer_end_to_end_lag_seconds') as Histogram).get()).values;
    expect(
      lag.find((v) => v.labels.consumer === consumerName && v.metricName === 'lockstep_consumer_end_to_end_lag_seconds_count')
        ?.value,
    ).toBe(4);

    const dead = await readAllCommitted([dlq]);
    const reasonOf = Object.fromEntries(dead.map((r) => [r.headers[LockstepHeader.id], r.headers[DeadLetterHeader.reason]]));
    expect(reasonOf).toEqual({
      [p1.id]: 'handler-failed',
      [p2.id]: 'parked-behind',
      [o1.id]: 'oversize',
      [m1.id]: 'malformed-json',
      [x1.id]: 'forbidden-key',
      [v1.id]: 'validation-failed',
      [p3.id]: 'parked-behind',
    });
    const poison = dead.find((r) => r.headers[LockstepHeader.id] === p1.id)!;
    expect(poison.key).toBe('p');
    expect(poison.value?.toString()).toBe(records[1].value!.toString());
    expect(poison.headers[DeadLetterHeader.error]).toContain('poison: the handler never accepts seq 1');
    expect(poison.headers[DeadLetterHeader.originalTopic]).toBe(topic);
    expect(poison.headers[DeadLetterHeader.originalPartition]).toBe('0');
    expect(poison.headers[DeadLetterHeader.originalOffset]).toBe('1');
    expect(poison.headers[DeadLetterHeader.consumer]).toBe(consumerName);
    expect(Number.isNaN(Date.parse(poison.headers[DeadLetterHeader.at]))).toBe(false);
    expect(poison.headers[LockstepHeader.type]).toBe('ctest.amount-added'); // original headers kept

    const parked = await dbRows<{ aggregate_key: string; parked_events: number }>(
      db,
      'SELECT aggregate_key, parked_events FROM lockstep_consumer_parked WHERE consumer = ? ORDER BY aggregate_key',
      [consumerName],
    );
    expect(parked.map((r) => [r.aggregate_key, Number(r.parked_events)])).toEqual([
      ['m', 0],
      ['o', 0],
      ['p', 2],
      ['v', 0],
      ['x', 0],
    ]);

    // "Deploy the fix", then re-drive with the documented command (only handler failures and
    // what was parked behind them; the malformed ones would just come back).
    fixtureSwitches.poisonFails = false;
    const listed = await listDeadLetters({ deadLetterTopic: dlq, consumer: consumerName, kafka: testKafkaConnection() });
    expect(listed).toHaveLength(7);
    const { stdout } = await exec(
      process.execPath,
      [
        LOCKSTEP_CLI,
        'dlq',
        'redrive',
        dlq,
        '--consumer',
        consumerName,
        '--reason',
        'handler-failed',
        '--reason',
        'parked-behind',
      ],
      { cwd: process.cwd() },
    );
    expect(stdout).toContain('re-drove 3 dead letters');

    await waitFor('p applied in order after redrive', async () => (await readTotals(db)).p?.n === 3 || undefined, {
      timeoutMs: 60_000,
    });
    expect((await readTotals(db)).p).toEqual({ n: 3, sum: 600 });
    const order = await dbRows<{ seq: number }>(db, "SELECT seq FROM applied WHERE account = 'p' ORDER BY id");
    expect(order.map((r) => Number(r.seq))).toEqual([1, 2, 3]);
    expect(
      await dbRows(db, "SELECT 1 FROM lockstep_consumer_parked WHERE consumer = ? AND aggregate_key = 'p'", [consumerName]),
    ).toEqual([]);

    // The cursor moved: a second redrive sends nothing.
    const again = await exec(process.execPath, [LOCKSTEP_CLI, 'dlq', 'redrive', dlq], { cwd: process.cwd() });
    expect(again.stdout).toContain('re-drove 0 dead letters');
  });

  it("onDeadLetter: 'skip-and-continue' applies later events of the dead-lettered key", async () => {
    fixtureSwitches.poisonFails = true;
    const topic = uniqueName('ctest.skip');
    const consumerName = uniqueName('skip');
    await createTopics([topic], { partitions: 1 });
    const q1 = ev('q', 1, 1, true);
    const q2 = ev('q', 2, 2);
    const q3 = ev('q', 3, 3);
    await produceWire(topic, [amountRecord(q1), amountRecord(q2), amountRecord(q3)]);
    const consumer = await startTotalsConsumer(db.url, {
      consumerName,
      topics: [topic],
      maxAttempts: 2,
      backoff: { initialMs: 10, maxMs: 20 },
      onDeadLetter: 'skip-and-continue',
      mode: 'batch',
    });
    running.push(consumer);
    await waitFor('q2 and q3 applied', async () => (await readTotals(db)).q?.n === 2 || undefined, { timeoutMs: 60_000 });
    expect((await readTotals(db)).q).toEqual({ n: 2, sum: 5 });
    const dead = await readAllCommitted([`${topic}.dlq`]);
    expect(dead.map((r) => r.headers[LockstepHeader.id])).toEqual([q1.id]);
  });

  it("unknownEventType: 'dead-letter' sends records nobody handles to the DLQ", async () => {
    const topic = uniqueName('ctest.unknown');
    const consumerName = uniqueName('unknown');
    await createTopics([topic], { partitions: 1 });
    const u = ev('u', 1, 1);
    const k = ev('k', 1, 7);
    await produceWire(topic, [amountRecord(u, { type: 'ctest.nobody-handles-this' }), amountRecord(k)]);
    const consumer = await startTotalsConsumer(db.url, { consumerName, topics: [topic], unknownEventType: 'dead-letter' });
    running.push(consumer);
    await waitFor('k applied', async () => (await readTotals(db)).k?.n === 1 || undefined, { timeoutMs: 60_000 });
    const dead = await readAllCommitted([`${topic}.dlq`]);
    expect(dead.map((r) => [r.headers[LockstepHeader.id], r.headers[DeadLetterHeader.reason]])).toEqual([[u.id, 'unknown-type']]);
  });

  it('a dead letter too large for the dead-letter topic goes without its value, never lost', async () => {
    const topic = uniqueName('ctest.huge');
    const consumerName = uniqueName('huge');
    await createTopics([topic], { partitions: 1 });
    const admin = testKafka().admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: `${topic}.dlq`, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '2048' }] }],
    });
    await admin.disconnect();
    const h = ev('h', 1, 1);
    const g = ev('g', 1, 9);
    const big = Buffer.from(JSON.stringify({ account: 'h', amount: 1, seq: 1, pad: 'y'.repeat(8192) }));
    await produceWire(topic, [amountRecord(h, { value: big }), amountRecord(g)]);
    const consumer = await startTotalsConsumer(db.url, { consumerName, topics: [topic], maxPayloadBytes: 4096 });
    running.push(consumer);
    await waitFor('g applied after the huge one', async () => (await readTotals(db)).g?.n === 1 || undefined, {
      timeoutMs: 60_000,
    });
    const dead = await readAllCommitted([`${topic}.dlq`]);
    expect(dead).toHaveLength(1);
    expect(dead[0].value).toBeNull();
    expect(dead[0].headers[DeadLetterHeader.valueDropped]).toBe(String(big.length));
    expect(dead[0].headers[DeadLetterHeader.reason]).toBe('oversize');
    expect(dead[0].headers[DeadLetterHeader.originalOffset]).toBe('0');
  });
});
