import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LockstepHeader, uuidToString } from '@lockstep/core';
import type { TestDatabase } from '@lockstep/testing';
import {
  OutboxConfigurationError,
  OutboxContext,
  OutboxNotInTransactionError,
  OutboxWriter,
  OutboxPayloadError,
  OutboxValidationError,
  recordEvent,
} from '@lockstep/outbox';
import {
  createOutboxTestDatabase,
  Order,
  OrderPlaced,
  orderRows,
  outboxDataSource,
  outboxRows,
  tailBinlog,
  waitFor,
} from '../test/outbox-fixtures.js';

/** Invariant I1 on a real MariaDB: an event exists iff its domain transaction committed. */
describe('outbox write side (real MariaDB)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let writer: OutboxWriter;

  beforeAll(async () => {
    db = await createOutboxTestDatabase('outbox_tx');
    ({ dataSource, writer } = await outboxDataSource(db));
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });
  beforeEach(async () => {
    await dataSource.query('DELETE FROM lockstep_outbox');
    await dataSource.query('DELETE FROM orders');
  });

  it('commit: the domain row and its outbox row are in ONE binlog transaction (same GTID)', async () => {
    const binlog = await tailBinlog(db);
    try {
      await dataSource.transaction(async (manager) => {
        await manager.save(Order.place('o-1', 1200));
      });
      const rows = await waitFor('both rows in the binlog', () => (binlog.rows.length >= 2 ? binlog.rows : undefined));
      const domain = rows.find((r) => r.table === 'orders');
      const outbox = rows.find((r) => r.table === 'lockstep_outbox');
      expect(domain?.values).toMatchObject({ id: 'o-1', status: 'placed' });
      expect(outbox?.values).toMatchObject({
        aggregate_type: 'test-order',
        aggregate_id: 'o-1',
        event_type: 'test.order.placed',
      });
      expect(domain!.gtid).toMatch(/^\d+-\d+-\d+$/);
      expect(outbox!.gtid).toBe(domain!.gtid);
    } finally {
      binlog.stop();
    }
    const [row] = await outboxRows(db);
    expect(row.payload.equals(Buffer.from(JSON.stringify({ orderId: 'o-1', totalCents: 1200 })))).toBe(true);
    expect(JSON.parse(row.headers!)).toEqual({ [LockstepHeader.schemaVersion]: '1' });
  });

  it('rollback: neither the domain row nor the outbox row', async () => {
    await expect(
      dataSource.transaction(async (manager) => {
        await manager.save(Order.place('o-rb', 100));
        throw new Error('business rule says no');
      }),
    ).rejects.toThrow('business rule says no');
    expect(await orderRows(db)).toEqual([]);
    expect(await outboxRows(db)).toEqual([]);
  });

  it('validation failure: neither row, and the error names the field', async () => {
    const error = await dataSource
      .transaction(async (manager) => {
        await manager.query("INSERT INTO orders VALUES ('o-raw', 'placed', 1)"); // an earlier write of the same tx
        await manager.save(Order.place('o-bad', 0));
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboxValidationError);
    expect((error as OutboxValidationError).violations.map((v) => v.property)).toEqual(['totalCents']);
    expect((error as Error).message).toContain('totalCents');
    expect(await orderRows(db)).toEqual([]);
    expect(await outboxRows(db)).toEqual([]);
  });

  it('unserialisable or oversized payload: the whole transaction fails with OutboxPayloadError', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const note of [10n, cyclic, 'x'.repeat(5 * 1024 * 1024)]) {
      await expect(
        dataSource.transaction(async (manager) => {
          await manager.save(Order.place('o-p', 1, note));
        }),
      ).rejects.toThrow(OutboxPayloadError);
    }
    expect(await orderRows(db)).toEqual([]);
    expect(await outboxRows(db)).toEqual([]);
  });

  it('repository.insert() outside a transaction: OutboxNotInTransactionError and nothing written', async () => {
    const repository = dataSource.getRepository(Order);
    const error = await repository.insert(Order.place('o-auto', 100)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboxNotInTransactionError);
    expect((error as Error).message).toMatch(/dataSource\.transaction/);
    expect(await orderRows(db)).toEqual([]);
    expect(await outboxRows(db)).toEqual([]);
    // save({ transaction: false }) and publish() on the non-transactional manager are refused too
    await expect(repository.save(Order.place('o-auto2', 100), { transaction: false })).rejects.toThrow(
      OutboxNotInTransactionError,
    );
    await expect(writer.write(dataSource.manager, new OrderPlaced('o-auto3', 1))).rejects.toThrow(OutboxNotInTransactionError);
    expect(await orderRows(db)).toEqual([]);
    expect(await outboxRows(db)).toEqual([]);
  });

  it('an entity without recorded events is not affected outside a transaction', async () => {
    await dataSource.getRepository(Order).insert(Object.assign(new Order(), { id: 'o-plain', status: 'placed', totalCents: 1 }));
    expect(await orderRows(db)).toHaveLength(1);
    expect(await outboxRows(db)).toEqual([]);
  });

  it('repository.save() (its own transaction), update and remove record events', async () => {
    const repository = dataSource.getRepository(Order);
    const order = Order.place('o-life', 300);
    await repository.save(order);
    expect(order.recordedEvents()).toEqual([]); // written, then cleared
    order.ship();
    await repository.save(order);
    order.markDeleted();
    await repository.remove(order);
    const rows = await outboxRows(db);
    expect(rows.map((r) => r.event_type)).toEqual(['test.order.placed', 'test.order.shipped', 'test.order.deleted']);
    expect(rows.every((r) => r.aggregate_id === 'o-life')).toBe(true);
    expect(await orderRows(db)).toEqual([]);
  });

  it('repository.insert() inside a transaction writes its events', async () => {
    await dataSource.transaction(async (manager) => {
      await manager.getRepository(Order).insert(Order.place('o-ins', 5));
    });
    expect((await outboxRows(db)).map((r) => r.aggregate_id)).toEqual(['o-ins']);
  });

  it('a QueryRunner transaction and publish() for raw SQL', async () => {
    const queryRunner = dataSource.createQueryRunner();
    await queryRunner.connect();
    try {
      await queryRunner.startTransaction();
      await queryRunner.query("INSERT INTO orders VALUES ('o-qr', 'placed', 7)");
      await writer.write(queryRunner.manager, [new OrderPlaced('o-qr', 7), new OrderPlaced('o-qr', 8)]);
      await queryRunner.commitTransaction();
      await queryRunner.startTransaction();
      await queryRunner.query("INSERT INTO orders VALUES ('o-qr2', 'placed', 7)");
      await writer.write(queryRunner, new OrderPlaced('o-qr2', 7));
      await queryRunner.rollbackTransaction();
    } finally {
      await queryRunner.release();
    }
    expect((await orderRows(db)).map((r) => r.id)).toEqual(['o-qr']);
    const rows = await outboxRows(db);
    expect(rows.map((r) => (JSON.parse(r.payload.toString()) as { totalCents: number }).totalCents)).toEqual([7, 8]);
  });

  it('savepoint rolled back inside a committed transaction: its events are gone, the outer ones remain', async () => {
    await dataSource.transaction(async (manager) => {
      await manager.save(Order.place('o-outer', 1));
      // TypeORM nests manager.transaction() in an open transaction as SAVEPOINT typeorm_1
      await expect(
        manager.transaction(async (inner) => {
          await inner.save(Order.place('o-inner-failed', 2));
          await writer.write(inner, new OrderPlaced('o-inner-published', 3));
          throw new Error('inner step failed');
        }),
      ).rejects.toThrow('inner step failed');
      await manager.transaction(async (inner) => {
        await inner.save(Order.place('o-inner-ok', 4));
      });
    });
    expect((await orderRows(db)).map((r) => r.id)).toEqual(['o-inner-ok', 'o-outer']);
    expect((await outboxRows(db)).map((r) => r.aggregate_id).sort()).toEqual(['o-inner-ok', 'o-outer']);
  });

  it('the savepoint really is a savepoint (TypeORM 1.x): the nested transaction does not commit the outer one', async () => {
    const queryRunner = dataSource.createQueryRunner();
    const statements: string[] = [];
    const original = queryRunner.query.bind(queryRunner);
    queryRunner.query = ((sql: string, ...rest: unknown[]) => {
      statements.push(sql);
      return (original as (...a: unknown[]) => Promise<unknown>)(sql, ...rest);
    }) as typeof queryRunner.query;
    try {
      await queryRunner.manager
        .transaction(async (outer) => {
          await outer.transaction(async (inner) => {
            await inner.save(Order.place('o-sp', 1));
          });
          throw new Error('outer fails after the inner one committed');
        })
        .catch(() => undefined);
    } finally {
      await queryRunner.release();
    }
    expect(statements.filter((s) => /^(START TRANSACTION|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK|COMMIT)/.test(s))).toEqual([
      'START TRANSACTION',
      'SAVEPOINT typeorm_1',
      'RELEASE SAVEPOINT typeorm_1',
      'ROLLBACK',
    ]);
    expect(await orderRows(db)).toEqual([]);
    expect(await outboxRows(db)).toEqual([]);
  });

  it('a rolled-back transaction gives the entity its events back, so a retried save writes them', async () => {
    const order = Order.place('o-retry', 10);
    await expect(
      dataSource.transaction(async (manager) => {
        await manager.save(order);
        expect(order.recordedEvents()).toEqual([]); // written inside the transaction
        throw new Error('deadlock, say');
      }),
    ).rejects.toThrow('deadlock, say');
    expect(order.recordedEvents()).toHaveLength(1);
    await dataSource.transaction(async (manager) => {
      await manager.save(order); // the retry
    });
    expect(order.recordedEvents()).toEqual([]);
    expect((await orderRows(db)).map((r) => r.id)).toEqual(['o-retry']);
    expect((await outboxRows(db)).map((r) => r.aggregate_id)).toEqual(['o-retry']);
  });

  it('savepoints: a rolled-back savepoint restores only its events; a released one belongs to the outer transaction', async () => {
    const outer = Order.place('o-sp-outer', 1);
    const rolledBack = Order.place('o-sp-rolled-back', 1);
    const released = Order.place('o-sp-released', 1);
    await expect(
      dataSource.transaction(async (manager) => {
        await manager.save(outer);
        await manager
          .transaction(async (inner) => {
            await inner.save(rolledBack);
            throw new Error('inner fails');
          })
          .catch(() => undefined);
        expect(rolledBack.recordedEvents()).toHaveLength(1); // its savepoint rolled back
        expect(outer.recordedEvents()).toEqual([]); // still written in the open outer transaction
        await manager.transaction(async (inner) => {
          await inner.save(released);
        });
        expect(released.recordedEvents()).toEqual([]);
        throw new Error('outer fails too');
      }),
    ).rejects.toThrow('outer fails too');
    // the outer ROLLBACK undid everything, including the released savepoint
    for (const order of [outer, rolledBack, released]) expect(order.recordedEvents()).toHaveLength(1);
    expect(await outboxRows(db)).toEqual([]);
    await dataSource.transaction(async (manager) => {
      await manager.save([outer, released]);
    });
    expect((await outboxRows(db)).map((r) => r.aggregate_id).sort()).toEqual(['o-sp-outer', 'o-sp-released']);
    expect(rolledBack.recordedEvents()).toHaveLength(1);
  });

  it('a missing outbox table fails the transaction with a typed error that says to run the migrations', async () => {
    const missing = new OutboxWriter({ table: 'no_such_outbox' });
    const error = await dataSource
      .transaction(async (manager) => {
        await manager.query("INSERT INTO orders VALUES ('o-missing', 'placed', 1)");
        await missing.write(manager, new OrderPlaced('o-missing', 1));
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboxConfigurationError);
    expect((error as Error).message).toMatch(/no_such_outbox does not exist.*npm run migrate/s);
    expect(await orderRows(db)).toEqual([]);
  });

  it('byte-exact payloads: unicode (emoji, combining marks), big integers as strings, 1 MiB', async () => {
    const notes = [
      'Zoë 👩‍👩‍👧‍👦 🇯🇵 e\u0301 a\u030A \u202Eright-to-left\u202C \u0000 "q" \\ \n\t',
      { amount: '123456789012345678901234567890', max: Number.MAX_SAFE_INTEGER, neg: -0.5, nested: [null, true, { k: '✓' }] },
      'ä'.repeat(512 * 1024), // 1 MiB of two-byte characters
    ];
    const expected: Buffer[] = [];
    await dataSource.transaction(async (manager) => {
      for (const [i, note] of notes.entries()) {
        const event = new OrderPlaced(`o-bytes-${i}`, 1, note);
        expected.push(Buffer.from(JSON.stringify({ orderId: `o-bytes-${i}`, totalCents: 1, note }), 'utf8'));
        await writer.write(manager, event);
      }
    });
    expect(expected[2].length).toBeGreaterThan(1024 * 1024);
    const rows = await outboxRows(db);
    expect(rows).toHaveLength(3);
    const byAggregate = new Map(rows.map((r) => [r.aggregate_id, r.payload]));
    for (const [i, bytes] of expected.entries()) expect(byAggregate.get(`o-bytes-${i}`)!.equals(bytes)).toBe(true);
  });

  it('headers: correlation/causation from OutboxContext, per-call headers, stored as a JSON object of strings', async () => {
    const records = await OutboxContext.run(
      { correlationId: 'corr-1', causationId: 'cause-1', headers: { tenant: 'acme' } },
      () =>
        dataSource.transaction((manager) =>
          writer.write(manager, new OrderPlaced('o-h', 1), { headers: { 'x-source': 'test' } }),
        ),
    );
    const [row] = await outboxRows(db);
    expect(uuidToString(row.id)).toBe(records[0].idString);
    expect(JSON.parse(row.headers!)).toEqual({
      tenant: 'acme',
      'x-source': 'test',
      [LockstepHeader.correlationId]: 'corr-1',
      [LockstepHeader.causationId]: 'cause-1',
      [LockstepHeader.schemaVersion]: '1',
    });
    expect(row.created_at).toBe(records[0].createdAt);
  });

  it('recordEvent() works on an entity without the base class, and events recorded twice are written once', async () => {
    const order = Object.assign(new Order(), { id: 'o-fn', status: 'placed', totalCents: 1 });
    recordEvent(order, new OrderPlaced('o-fn', 1));
    await dataSource.transaction(async (manager) => {
      await manager.save(order);
      order.status = 'changed';
      await manager.save(order); // no pending events left: nothing more to write
    });
    expect((await outboxRows(db)).map((r) => r.aggregate_id)).toEqual(['o-fn']);
  });
});
