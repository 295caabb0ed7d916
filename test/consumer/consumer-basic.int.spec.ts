import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLockstepSchema, createTestDatabase, createTopics, uniqueName, waitFor, type TestDatabase } from '@lockstep/testing';
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

describe('LockstepServer (real MariaDB + Kafka)', () => {
  let db: TestDatabase;
  const running: RunningConsumer[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('cbasic');
    await applyLockstepSchema(db);
    await applyConsumerFixtureSchema(db);
  });

  afterAll(async () => {
    for (const r of running) await r.close().catch(() => undefined);
    await db?.drop();
  });

  for (const mode of ['event', 'batch'] as const) {
    it(`applies every event once in ${mode} mode, resumes from the offsets stored in MySQL after a restart`, async () => {
      const topic = uniqueName('ctest.basic');
      const consumerName = uniqueName(`basic-${mode}`);
      await createTopics([topic], { partitions: 3 });
      const c = await db.admin();
      await c.query('DELETE FROM totals');
      await c.query('DELETE FROM applied');
      await c.end();

      const first = amountEvents(300, 12);
      await produceWire(
        topic,
        first.map((e) => amountRecord(e)),
      );
      const consumer = await startTotalsConsumer(db.url, { consumerName, topics: [topic], mode, maxBatchEvents: 40 });
      running.push(consumer);
      await waitFor('300 events applied', async () => (await countApplied(db)) >= 300 || undefined, { timeoutMs: 60_000 });
      await consumer.close();
      running.pop();

      // Offsets live in MySQL, next to the read model.
      const a = await db.admin();
      const [offsets] = await a.query(
        'SELECT partition_id, next_offset FROM lockstep_consumer_offsets WHERE group_id = ? ORDER BY partition_id',
        [consumerName],
      );
      const [inbox] = await a.query('SELECT COUNT(*) AS n FROM lockstep_inbox WHERE consumer = ?', [consumerName]);
      await a.end();
      expect((offsets as unknown[]).length).toBe(3);
      expect(Number((inbox as Array<{ n: string }>)[0].n)).toBe(300);

      const second = amountEvents(100, 12);
      await produceWire(
        topic,
        second.map((e) => amountRecord(e)),
      );
      const again = await startTotalsConsumer(db.url, { consumerName, topics: [topic], mode });
      running.push(again);
      await waitFor('400 events applied', async () => (await countApplied(db)) >= 400 || undefined, { timeoutMs: 60_000 });
      await again.close();
      running.pop();

      expect(await countApplied(db)).toBe(400);
      expect(await readTotals(db)).toEqual(expectedTotals([...first, ...second]));
    });
  }
});
