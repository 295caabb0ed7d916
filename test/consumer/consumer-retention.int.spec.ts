import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7Bytes } from '@lockstep/core';
import { LockstepServer } from '@lockstep/consumer';
import { applyLockstepSchema, createTestDatabase, testKafkaConnection, type TestDatabase } from '@lockstep/testing';
import { applyConsumerFixtureSchema } from './consumer-test-kit.js';

describe('inbox retention', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('cret');
    await applyLockstepSchema(db);
    await applyConsumerFixtureSchema(db);
    dataSource = new DataSource({ type: 'mysql', url: db.url, poolSize: 2 });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it("deletes only this consumer's rows older than the retention, in several small batches", async () => {
    const insert = async (consumer: string, count: number, ageDays: number) => {
      const rows = Array.from({ length: count }, () => [consumer, uuidv7Bytes()]);
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500);
        await dataSource.query(
          `INSERT INTO lockstep_inbox (consumer, event_id, processed_at) VALUES ${chunk.map(() => `(?, ?, UTC_TIMESTAMP(6) - INTERVAL ${ageDays} DAY)`).join(', ')}`,
          chunk.flat(),
        );
      }
    };
    await insert('view', 2500, 10); // more than one delete batch (1000)
    await insert('view', 10, 1);
    await insert('other-view', 5, 10);

    const server = new LockstepServer({ consumerName: 'view', dataSource, topics: ['unused'], kafka: testKafkaConnection() });
    expect(await server.pruneInbox(7)).toBe(2500);

    const left = await dataSource.query<Array<{ consumer: string; n: string }>>(
      'SELECT consumer, COUNT(*) AS n FROM lockstep_inbox GROUP BY consumer ORDER BY consumer',
    );
    expect(left.map((r) => [r.consumer, Number(r.n)])).toEqual([
      ['other-view', 5],
      ['view', 10],
    ]);
  });
});
