import 'reflect-metadata';
import type { RowDataPacket } from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from '@lockstep/testing';
import type { OutboxWriter } from '@lockstep/outbox';
import { createOutboxTestDatabase, Order, outboxDataSource } from '../test/outbox-fixtures.js';

const CONNECTIONS = 8;
const TRANSACTIONS_PER_CONNECTION = 2_000;

describe('outbox under concurrency (real MariaDB)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let writer: OutboxWriter;

  beforeAll(async () => {
    db = await createOutboxTestDatabase('outbox_conc');
    ({ dataSource, writer } = await outboxDataSource(db, { poolSize: CONNECTIONS }));
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it(`${CONNECTIONS} connections x ${TRANSACTIONS_PER_CONNECTION} transactions: every event present once, ids unique`, async () => {
    const started = Date.now();
    const written: string[] = [];
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, worker) => {
        for (let i = 0; i < TRANSACTIONS_PER_CONNECTION; i++) {
          const records = await dataSource.transaction(async (manager) => {
            // the entity path (subscriber) for half, the explicit path for the other half
            const order = Order.place(`w${worker}-${i}`, 1 + i);
            if (i % 2 === 0) {
              await manager.save(order);
              return [];
            }
            await manager.query('INSERT INTO orders (id, status, total_cents) VALUES (?, ?, ?)', [
              order.id,
              order.status,
              order.totalCents,
            ]);
            return writer.write(manager, order.recordedEvents());
          });
          for (const r of records) written.push(r.idString);
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    const total = CONNECTIONS * TRANSACTIONS_PER_CONNECTION;

    const c = await db.admin();
    try {
      const [[counts]] = await c.query<RowDataPacket[]>(
        `SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS ids, COUNT(DISTINCT aggregate_id) AS aggregates FROM lockstep_outbox`,
      );
      expect(Number(counts.n)).toBe(total);
      expect(Number(counts.ids)).toBe(total);
      expect(Number(counts.aggregates)).toBe(total);
      const [[orders]] = await c.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM orders');
      expect(Number(orders.n)).toBe(total);
      // each domain row has exactly its own event
      const [[orphans]] = await c.query<RowDataPacket[]>(
        'SELECT COUNT(*) AS n FROM orders o LEFT JOIN lockstep_outbox e ON e.aggregate_id = o.id WHERE e.id IS NULL',
      );
      expect(Number(orphans.n)).toBe(0);
      // the explicitly published ids are the ones stored
      const [stored] = await c.query<Array<RowDataPacket & { hex: string }>>(`SELECT LOWER(HEX(id)) AS hex FROM lockstep_outbox`);
      const storedSet = new Set(stored.map((r) => r.hex));
      expect(written).toHaveLength(total / 2);
      expect(written.every((id) => storedSet.has(id.replace(/-/g, '')))).toBe(true);
    } finally {
      await c.end();
    }
    console.log(
      `[outbox] ${total} transactions on ${CONNECTIONS} connections in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} tx/s)`,
    );
  });
});
