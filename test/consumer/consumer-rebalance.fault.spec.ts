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

/** Two members of one group; partitions move twice mid-stream (a join, then a kill -9). */
describe('consumer rebalance — guarantee I5 (docs/design.md)', () => {
  let db: TestDatabase;
  const children: ConsumerProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('crebal');
    await applyLockstepSchema(db);
    await applyConsumerFixtureSchema(db);
  });

  afterAll(async () => {
    for (const c of children) await c.kill9();
    await db?.drop();
  });

  it('second instance joins mid-stream, first is killed: totals still exact', async () => {
    const topic = uniqueName('ctest.rebal');
    const consumer = uniqueName('rebal');
    await createTopics([topic], { partitions: 4 });
    const events = amountEvents(3000, 30);
    const half = events.length / 2;
    await produceWire(
      topic,
      events.slice(0, half).map((e) => amountRecord(e)),
    );

    const a = spawnConsumer({ dbUrl: db.url, topic, consumer, mode: 'event', instance: 'A' });
    children.push(a);
    await waitFor('instance A applies', async () => (await countApplied(db)) > 200 || undefined, { timeoutMs: 60_000 });

    // B joins while A is mid-stream (a rebalance hands some of A's partitions to B), and the
    // second half arrives while both run.
    const b = spawnConsumer({ dbUrl: db.url, topic, consumer, mode: 'batch', instance: 'B' });
    children.push(b);
    const admin = testKafka().admin();
    await admin.connect();
    try {
      await waitFor(
        'B joined the group (two members, stable)',
        async () => {
          const g = (await admin.describeGroups([consumer])).groups[0];
          return (g?.state === 'Stable' && g.members.length === 2) || undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100 },
      );
    } finally {
      await admin.disconnect();
    }
    await produceWire(
      topic,
      events.slice(half).map((e) => amountRecord(e)),
    );
    const atJoin = await countApplied(db);
    await waitFor('progress after B joined', async () => (await countApplied(db)) > atJoin + 300 || undefined, {
      timeoutMs: 60_000,
    });
    const byB = async () => {
      const c = await db.admin();
      const [rows] = await c.query("SELECT COUNT(*) AS n FROM applied WHERE instance = 'B'");
      await c.end();
      return Number((rows as Array<{ n: string }>)[0].n);
    };
    await waitFor('B got partitions and applies while A still runs', async () => (await byB()) > 0 || undefined, {
      timeoutMs: 60_000,
    });
    expect(a.child.exitCode).toBeNull();
    await a.kill9(); // B takes every partition once A's session expires

    await waitFor('every event applied', async () => (await countApplied(db)) >= events.length || undefined, {
      timeoutMs: 120_000,
    });
    expect(await b.stop()).toBe(0);

    expect(await countApplied(db)).toBe(events.length);
    expect(await readTotals(db)).toEqual(expectedTotals(events));
    const c = await db.admin();
    const [members] = await c.query(
      'SELECT COUNT(DISTINCT partition_id) AS n FROM lockstep_consumer_offsets WHERE group_id = ?',
      [consumer],
    );
    await c.end();
    expect(Number((members as Array<{ n: string }>)[0].n)).toBe(4);
  }, 300_000);
});
