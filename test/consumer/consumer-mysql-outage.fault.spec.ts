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
import { startTotalsConsumer, type RunningConsumer } from './fixtures/totals.fixture.js';
import {
  amountEvents,
  amountRecord,
  applyConsumerFixtureSchema,
  countApplied,
  expectedTotals,
  produceWire,
  readTotals,
} from './consumer-test-kit.js';

/**
 * The consumer's MySQL connections are killed (KILL CONNECTION) again and again mid-stream,
 * including during COMMIT: a lost connection is never the record's fault, so nothing may be
 * dead-lettered, and an ambiguous commit must not apply an event twice.
 */
describe('consumer under MySQL connection loss', () => {
  let db: TestDatabase;
  let consumer: RunningConsumer | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('coutage');
    await applyLockstepSchema(db);
    await applyConsumerFixtureSchema(db);
  });

  afterAll(async () => {
    await consumer?.close().catch(() => undefined);
    await db?.drop();
  });

  it('retries in place through 8 rounds of killed connections: exact totals, empty dead-letter topic', async () => {
    const topic = uniqueName('ctest.outage');
    await createTopics([topic], { partitions: 3 });
    const events = amountEvents(4000, 25);
    await produceWire(
      topic,
      events.map((e) => amountRecord(e)),
    );
    consumer = await startTotalsConsumer(
      db.url,
      { consumerName: uniqueName('outage'), topics: [topic], maxAttempts: 2, backoff: { initialMs: 20, maxMs: 200 } },
      false,
    );

    const admin = await db.admin();
    let killed = 0;
    try {
      for (let round = 0; round < 8; round++) {
        const before = await countApplied(db);
        if (before >= events.length) break;
        await waitFor(`progress before kill round ${round}`, async () => (await countApplied(db)) > before + 100 || undefined, {
          timeoutMs: 60_000,
          intervalMs: 10,
        });
        const [rows] = await admin.query('SELECT id FROM information_schema.PROCESSLIST WHERE db = ? AND id <> CONNECTION_ID()', [
          db.name,
        ]);
        for (const { id } of rows as Array<{ id: number }>) {
          await admin.query(`KILL CONNECTION ${Number(id)}`).catch(() => undefined); // it may be gone already
          killed++;
        }
      }
    } finally {
      await admin.end();
    }
    expect(killed).toBeGreaterThanOrEqual(8);

    await waitFor('every event applied', async () => (await countApplied(db)) >= events.length || undefined, {
      timeoutMs: 120_000,
    });
    await consumer.close();
    consumer = undefined;
    expect(await countApplied(db)).toBe(events.length);
    expect(await readTotals(db)).toEqual(expectedTotals(events));
    const k = testKafka().admin();
    await k.connect();
    const topics = await k.listTopics();
    await k.disconnect();
    expect(topics).not.toContain(`${topic}.dlq`); // nothing was dead-lettered
  }, 240_000);
});
