import 'reflect-metadata';
import ZongJi from '@vlasky/zongji';
import type { AnyBinlogEvent, WriteRowsEvent } from '@vlasky/zongji';
import { IsInt, IsString, Min, MinLength } from 'class-validator';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { createTestDatabase, applyLockstepSchema, waitFor, type TestDatabase } from '@lockstep/testing';
import { OutboxEvent } from '@lockstep/core';
import { OutboxSubscriber, OutboxWriter, RecordsEvents, type OutboxWriterOptions } from '@lockstep/outbox';

/** Test domain: an order that records its own events. */
@OutboxEvent({ type: 'test.order.placed', aggregate: 'test-order', aggregateId: 'orderId' })
export class OrderPlaced {
  @IsString() @MinLength(1) orderId: string;
  @IsInt() @Min(1) totalCents: number;
  note?: unknown;
  constructor(orderId: string, totalCents: number, note?: unknown) {
    this.orderId = orderId;
    this.totalCents = totalCents;
    if (note !== undefined) this.note = note;
  }
}

@OutboxEvent({ type: 'test.order.shipped', aggregate: 'test-order', aggregateId: 'orderId' })
export class OrderShipped {
  @IsString() @MinLength(1) orderId: string;
  constructor(orderId: string) {
    this.orderId = orderId;
  }
}

@OutboxEvent({ type: 'test.order.deleted', aggregate: 'test-order', aggregateId: (e: OrderDeleted) => e.orderId })
export class OrderDeleted {
  @IsString() @MinLength(1) orderId: string;
  constructor(orderId: string) {
    this.orderId = orderId;
  }
}

@Entity({ name: 'orders' })
export class Order extends RecordsEvents {
  @PrimaryColumn({ type: 'varchar', length: 64 }) id!: string;
  @Column({ type: 'varchar', length: 32 }) status!: string;
  @Column({ type: 'int', name: 'total_cents' }) totalCents!: number;

  static place(id: string, totalCents: number, note?: unknown): Order {
    const order = Object.assign(new Order(), { id, status: 'placed', totalCents });
    order.record(new OrderPlaced(id, totalCents, note));
    return order;
  }

  ship(): void {
    this.status = 'shipped';
    this.record(new OrderShipped(this.id));
  }

  markDeleted(): void {
    this.record(new OrderDeleted(this.id));
  }
}

export const ORDERS_DDL = `CREATE TABLE orders (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  status VARCHAR(32) NOT NULL,
  total_cents INT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

/** A fresh database with Lockstep's schema and the orders table. */
export async function createOutboxTestDatabase(prefix: string): Promise<TestDatabase> {
  const db = await createTestDatabase(prefix);
  await applyLockstepSchema(db);
  const c = await db.admin();
  try {
    await c.query(ORDERS_DDL);
  } finally {
    await c.end();
  }
  return db;
}

/** A TypeORM DataSource on the test database with the OutboxSubscriber attached (what OutboxModule does). */
export async function outboxDataSource(
  db: TestDatabase,
  { poolSize = 4, writer = {} }: { poolSize?: number; writer?: OutboxWriterOptions } = {},
): Promise<{ dataSource: DataSource; writer: OutboxWriter }> {
  const dataSource = new DataSource({
    type: 'mysql',
    host: db.options.host,
    port: db.options.port,
    username: db.options.user,
    password: db.options.password,
    database: db.options.database,
    entities: [Order],
    poolSize,
  });
  await dataSource.initialize();
  const outboxWriter = new OutboxWriter(writer);
  dataSource.subscribers.push(new OutboxSubscriber(outboxWriter));
  return { dataSource, writer: outboxWriter };
}

export interface OutboxRow {
  id: Buffer;
  aggregate_type: string;
  aggregate_id: string;
  event_type: string;
  payload: Buffer;
  headers: string | null;
  created_at: string;
}

/** Every outbox row, read by an independent mysql2 connection. */
export async function outboxRows(db: TestDatabase, table = 'lockstep_outbox'): Promise<OutboxRow[]> {
  const c = await db.admin();
  try {
    const [rows] = await c.query(
      `SELECT id, aggregate_type, aggregate_id, event_type, payload, headers,
              DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f') AS created_at
         FROM \`${table}\` ORDER BY id`,
    );
    return rows as OutboxRow[];
  } finally {
    await c.end();
  }
}

export async function orderRows(db: TestDatabase): Promise<Array<{ id: string; status: string; total_cents: number }>> {
  const c = await db.admin();
  try {
    const [rows] = await c.query('SELECT id, status, total_cents FROM orders ORDER BY id');
    return rows as Array<{ id: string; status: string; total_cents: number }>;
  } finally {
    await c.end();
  }
}

export interface BinlogRow {
  table: string;
  gtid: string | undefined;
  values: Record<string, unknown>;
}

/** Tails the binlog of the test database with zongji (as the relay will), collecting inserted rows with their GTID. */
export async function tailBinlog(db: TestDatabase): Promise<{ rows: BinlogRow[]; stop: () => void }> {
  const rows: BinlogRow[] = [];
  const zongji = new ZongJi({ ...db.options, dateStrings: true });
  const ready = new Promise<void>((resolve, reject) => {
    zongji.once('ready', () => resolve());
    zongji.once('error', reject);
  });
  zongji.on('binlog', (event: AnyBinlogEvent) => {
    if (event.getEventName() === 'writerows') {
      const write = event as WriteRowsEvent; // getEventName() does not narrow the union
      const table = write.tableMap[write.tableId].tableName;
      for (const values of write.rows) rows.push({ table, gtid: write.gtid, values });
    }
  });
  zongji.start({
    serverId: 20_000 + Math.floor(Math.random() * 100_000),
    startAtEnd: true,
    includeEvents: ['tablemap', 'writerows', 'xid', 'mariadbgtid'],
    includeSchema: { [db.name]: true },
  });
  await ready;
  return {
    rows,
    stop: () => {
      zongji.removeAllListeners('error');
      zongji.on('error', () => {}); // zongji emits spurious errors after stop() (docs/design.md)
      zongji.stop();
    },
  };
}

export { waitFor };
