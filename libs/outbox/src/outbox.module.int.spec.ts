import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { getDataSourceToken, InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type TestDatabase } from '@lockstep/testing';
import { OutboxModule, OutboxNotInTransactionError, OutboxService, OutboxSubscriber, utcDatetime6 } from '@lockstep/outbox';
import { createOutboxTestDatabase, Order, OrderPlaced, orderRows, outboxRows } from '../test/outbox-fixtures.js';

const typeorm = (db: TestDatabase, name?: string) =>
  TypeOrmModule.forRoot({
    ...(name ? { name } : {}),
    type: 'mysql',
    host: db.options.host,
    port: db.options.port,
    username: db.options.user,
    password: db.options.password,
    database: db.options.database,
    entities: [Order],
    poolSize: 2,
  });

/** An app service written the way the docs tell users to. */
@Injectable()
class Orders {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
  ) {}

  place(id: string): Promise<void> {
    return this.dataSource.transaction(async (manager) => {
      await manager.save(Order.place(id, 100));
    });
  }

  placeRaw(id: string): Promise<void> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query("INSERT INTO orders VALUES (?, 'placed', 1)", [id]);
      await this.outbox.publish(manager, new OrderPlaced(id, 1));
    });
  }
}

describe('OutboxModule (Nest + @nestjs/typeorm, real MariaDB)', () => {
  let db: TestDatabase;
  let second: TestDatabase;

  beforeAll(async () => {
    db = await createOutboxTestDatabase('outbox_nest');
    second = await createOutboxTestDatabase('outbox_nest2');
  });
  afterAll(async () => {
    await db?.drop();
    await second?.drop();
  });

  it('forRoot(): entities and publish() write through the default DataSource; global; defaults documented', async () => {
    @Module({ providers: [Orders] })
    class FeatureModule {}
    const app = await Test.createTestingModule({ imports: [typeorm(db), OutboxModule.forRoot({}), FeatureModule] }).compile();
    await app.init();
    try {
      const orders = app.get(Orders);
      await orders.place('n-1');
      await orders.placeRaw('n-2');
      const outbox = app.get(OutboxService);
      expect(outbox.writer.table).toBe('lockstep_outbox');
      expect(outbox.writer.maxPayloadBytes).toBe(4 * 1024 * 1024);
      expect(outbox.topicFor('order')).toBe('lockstep.order');
      await expect(outbox.publish(app.get<DataSource>(getDataSourceToken()).manager, new OrderPlaced('n-3', 1))).rejects.toThrow(
        OutboxNotInTransactionError,
      );
      expect((await outboxRows(db)).map((r) => r.aggregate_id).sort()).toEqual(['n-1', 'n-2']);
      // exactly one subscriber on the DataSource (attaching is idempotent)
      expect(app.get<DataSource>(getDataSourceToken()).subscribers.filter((s) => s instanceof OutboxSubscriber)).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('forRootAsync() with several data sources: each gets the subscriber, events stay in their own database', async () => {
    let app: TestingModule | undefined;
    try {
      app = await Test.createTestingModule({
        imports: [
          typeorm(db),
          typeorm(second, 'second'),
          OutboxModule.forRootAsync({
            useFactory: async () => ({ dataSource: ['default', 'second'], topicPrefix: 'acme', retention: false }),
          }),
        ],
      }).compile();
      await app.init();
      const first = app.get<DataSource>(getDataSourceToken());
      const other = app.get<DataSource>(getDataSourceToken('second'));
      await other.query('DELETE FROM lockstep_outbox');
      await first.query('DELETE FROM lockstep_outbox');
      await first.transaction((m) => m.save(Order.place('d-1', 1)));
      await other.transaction((m) => m.save(Order.place('d-2', 1)));
      expect((await outboxRows(db)).map((r) => r.aggregate_id)).toEqual(['d-1']);
      expect((await outboxRows(second)).map((r) => r.aggregate_id)).toEqual(['d-2']);
      expect((await orderRows(second)).map((r) => r.id)).toEqual(['d-2']);
      expect(app.get(OutboxService).topicFor('order')).toBe('acme.order');
    } finally {
      await app?.close();
    }
  });

  it('fails at start-up, saying how to fix it, when the named DataSource does not exist', async () => {
    const app = await Test.createTestingModule({
      imports: [typeorm(db), OutboxModule.forRoot({ dataSource: 'nope' })],
    }).compile();
    await expect(app.init()).rejects.toThrow(/no TypeORM DataSource named "nope"/);
    await app.close();
  });

  it('runs retention on its interval after bootstrap, and stops on shutdown', async () => {
    const app = await Test.createTestingModule({
      imports: [typeorm(db), OutboxModule.forRoot({ retention: { periodMs: 60_000, intervalMs: 100, batchSize: 2 } })],
    }).compile();
    await app.init();
    try {
      const dataSource = app.get<DataSource>(getDataSourceToken());
      await dataSource.query('DELETE FROM lockstep_outbox');
      await dataSource.query('DELETE FROM lockstep_relay_checkpoint');
      for (let i = 0; i < 5; i++) {
        await dataSource.query(
          `INSERT INTO lockstep_outbox VALUES (UNHEX(REPLACE(UUID(), '-', '')), 'a', ?, 't', '{}', '{}', ?)`,
          [`old-${i}`, utcDatetime6(Date.now() - 3_600_000)],
        );
      }
      await dataSource.query(
        `INSERT INTO lockstep_outbox VALUES (UNHEX(REPLACE(UUID(), '-', '')), 'a', 'young', 't', '{}', '{}', ?)`,
        [utcDatetime6()],
      );
      await dataSource.query(
        `INSERT INTO lockstep_relay_checkpoint (relay_name, gtid_set, last_event_created_at, updated_at) VALUES ('r', '0-1-1', ?, NOW(6))`,
        [utcDatetime6()],
      );
      const rows = await waitFor(
        'the scheduled retention to delete the published old rows',
        async () => {
          const left = await outboxRows(db);
          return left.length === 1 ? left : undefined;
        },
        { timeoutMs: 30_000 },
      );
      expect(rows[0].aggregate_id).toBe('young');
      expect(await app.get(OutboxService).runRetentionOnce()).toEqual([expect.objectContaining({ deleted: 0 })]);
    } finally {
      await app.close();
    }
  });
});
