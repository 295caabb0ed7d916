import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLockstepSchema, createTestDatabase, createTopics, uniqueName, waitFor, type TestDatabase } from '@lockstep/testing';
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

/**
 * I5 under kill -9: the read model is made of non-idempotent updates (n = n + 1,
 * sum = sum + amount), so any event applied twice or lost shows in the totals.
 */
describe('consumer crash (kill -9) — guarantee I5 (docs/design.md)', () => {
  let db: TestDatabase;
  const children: ConsumerProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('ccrash');
    await applyLockstepSchema(db);
    await applyConsumerFixtureSchema(db);
  });

  afterAll(async () => {
    for (const c of children) await c.kill9();
    await db?.drop();
  });

  it('killed at random 20 times mid-stream, event and batch mode alternating: totals equal the source exactly', async () => {
    const topic = uniqueName('ctest.crash');
    const consumer = uniqueName('crash');
    await createTopics([topic], { partitions: 3 });
    const events = amountEvents(3000, 40);
    await produceWire(
      topic,
      events.map((e) => amountRecord(e)),
    );

    const KILLS = 20;
    let kills = 0;
    for (let round = 0; round < KILLS; round++) {
      const before = await countApplied(db);
      // Keep a backlog so every kill lands mid-stream (batch mode drains thousands per second).
      if (events.length - before < 1500) {
        const more = amountEvents(1500, 40).map((e) => ({ ...e, seq: e.seq + 1_000_000 * (round + 1) }));
        events.push(...more);
        await produceWire(
          topic,
          more.map((e) => amountRecord(e)),
        );
      }
      const child = spawnConsumer({ dbUrl: db.url, topic, consumer, mode: round % 2 === 0 ? 'event' : 'batch' });
      children.push(child);
      // Kill while it is applying: after it made progress, at a random moment.
      await waitFor(
        `progress in round ${round} (applied ${before})`,
        async () => {
          if (child.child.exitCode !== null) throw new Error(`consumer exited early:\n${child.output()}`);
          return (await countApplied(db)) > before || undefined;
        },
        { timeoutMs: 60_000, intervalMs: 20 },
      );
      await new Promise((resolve) => setTimeout(resolve, randomInt(0, 400))); // a random kill point, not a synchronisation
      await child.kill9();
      kills++;
    }
    expect(kills).toBe(KILLS);

    const last = spawnConsumer({ dbUrl: db.url, topic, consumer, mode: 'event' });
    children.push(last);
    await waitFor('every event applied', async () => (await countApplied(db)) >= events.length || undefined, {
      timeoutMs: 120_000,
    });
    expect(await last.stop()).toBe(0);

    expect(await countApplied(db)).toBe(events.length);
    expect(await readTotals(db)).toEqual(expectedTotals(events));
    const c = await db.admin();
    const [dupes] = await c.query('SELECT event_id, COUNT(*) AS n FROM applied GROUP BY event_id HAVING n > 1');
    const [order] = await c.query(
      'SELECT COUNT(*) AS n FROM applied a JOIN applied b ON a.account = b.account AND a.id < b.id AND a.seq > b.seq',
    );
    await c.end();
    expect(dupes).toEqual([]);
    expect(Number((order as Array<{ n: string }>)[0].n)).toBe(0); // per-aggregate order kept across crashes
  }, 400_000);
});
