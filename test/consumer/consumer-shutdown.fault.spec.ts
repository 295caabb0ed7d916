import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyLockstepSchema,
  createTestDatabase,
  createTopics,
  testKafka,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@lockstep/testing';
import {
  amountEvents,
  amountRecord,
  applyConsumerFixtureSchema,
  countApplied,
  expectedTotals,
  produceWire,
  readTotals,
} from './consumer-test-kit.js';
import { spawnConsumer, type ConsumerProcess } from './consumer-process.js';

/** SIGTERM mid-stream: in-flight events finish and commit (MySQL and Kafka), the process exits 0. */
describe('consumer graceful shutdown', () => {
  let db: TestDatabase;
  const children: ConsumerProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('cstop');
    await applyLockstepSchema(db);
    await applyConsumerFixtureSchema(db);
  });

  afterAll(async () => {
    for (const c of children) await c.kill9();
    await db?.drop();
  });

  it('stops mid-stream with Kafka offsets committed up to what MySQL applied; a successor finishes exactly', async () => {
    const topic = uniqueName('ctest.stop');
    const consumer = uniqueName('stop');
    await createTopics([topic], { partitions: 2 });
    const events = amountEvents(3000, 20);
    await produceWire(
      topic,
      events.map((e) => amountRecord(e)),
    );

    const a = spawnConsumer({ dbUrl: db.url, topic, consumer, mode: 'event' });
    children.push(a);
    await waitFor('A applies', async () => (await countApplied(db)) > 300 || undefined, { timeoutMs: 60_000 });
    expect(await a.stop()).toBe(0);
    const appliedAtStop = await countApplied(db);
    expect(appliedAtStop).toBeLessThan(events.length); // it really stopped mid-stream

    const c = await db.admin();
    const [rows] = await c.query(
      'SELECT partition_id, CAST(next_offset AS CHAR) AS next_offset FROM lockstep_consumer_offsets WHERE group_id = ?',
      [consumer],
    );
    await c.end();
    const admin = testKafka().admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId: consumer, topics: [topic] });
    const described = await admin.describeGroups([consumer]);
    await admin.disconnect();
    expect(described.groups[0].members).toEqual([]); // it left the group
    for (const r of rows as Array<{ partition_id: number; next_offset: string }>) {
      const kafkaOffset = Number(committed[0].partitions.find((p) => p.partition === r.partition_id)!.offset);
      // Kafka may be one past MySQL (a transaction marker resolved with the last record), never behind.
      expect(kafkaOffset - Number(r.next_offset)).toBeGreaterThanOrEqual(0);
      expect(kafkaOffset - Number(r.next_offset)).toBeLessThanOrEqual(1);
    }

    const b = spawnConsumer({ dbUrl: db.url, topic, consumer, mode: 'batch' });
    children.push(b);
    await waitFor('every event applied', async () => (await countApplied(db)) >= events.length || undefined, {
      timeoutMs: 120_000,
    });
    expect(await b.stop()).toBe(0);
    expect(await countApplied(db)).toBe(events.length);
    expect(await readTotals(db)).toEqual(expectedTotals(events));
  }, 240_000);
});
