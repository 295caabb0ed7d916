import 'reflect-metadata';
import { IsInt, IsString, Min, MinLength, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { describe, expect, it } from 'vitest';
import { LockstepHeader, uuidToString } from '@lockstep/core';
import { OutboxContext } from './outbox-context.js';
import { OutboxEvent } from '@lockstep/core';
import { OutboxWriter } from './outbox-writer.js';
import { OutboxEventDefinitionError, OutboxNotInTransactionError, OutboxValidationError } from './outbox.errors.js';
import { pendingEventsOf, RecordsEvents, RecordsEventsMixin } from './records-events.js';

class Line {
  @IsString() @MinLength(1) sku!: string;
  @IsInt() @Min(1) quantity!: number;
}

@OutboxEvent({ type: 'unit.order.placed', aggregate: 'unit-order', aggregateId: 'orderId', schemaVersion: 2 })
class OrderPlaced {
  @IsString() @MinLength(1) orderId: string;
  @IsInt() @Min(1) totalCents: number;
  @ValidateNested({ each: true }) @Type(() => Line) lines: Line[];
  constructor(orderId: string, totalCents: number, lines: Line[] = []) {
    this.orderId = orderId;
    this.totalCents = totalCents;
    this.lines = lines;
  }
}

const line = (sku: string, quantity: number) => Object.assign(new Line(), { sku, quantity });

describe('OutboxWriter.prepare', () => {
  const writer = new OutboxWriter();

  it('builds rows: UUIDv7 id, routing columns, exact payload bytes, headers, UTC DATETIME(6)', async () => {
    const before = Date.now();
    const [row] = await OutboxContext.run({ correlationId: 'corr' }, () => writer.prepare([new OrderPlaced('o-1', 500)]));
    expect(row).toBeDefined();
    expect(row.id.length).toBe(16);
    expect(row.id[6] >> 4).toBe(7);
    expect(row.idString).toBe(uuidToString(row.id));
    expect(row).toMatchObject({ aggregateType: 'unit-order', aggregateId: 'o-1', eventType: 'unit.order.placed' });
    expect(row.payload.toString()).toBe('{"orderId":"o-1","totalCents":500,"lines":[]}');
    expect(row.headers).toEqual({ [LockstepHeader.correlationId]: 'corr', [LockstepHeader.schemaVersion]: '2' });
    expect(row.createdAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    const at = Date.parse(`${row.createdAt.replace(' ', 'T').slice(0, 23)}Z`);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });

  it('gives every event its own id, in creation order', async () => {
    const rows = await writer.prepare(Array.from({ length: 500 }, (_, i) => new OrderPlaced(`o-${i}`, 1)));
    const ids = rows.map((r) => r.idString);
    expect(new Set(ids).size).toBe(500);
    expect([...ids].sort()).toEqual(ids);
  });

  it('fails validation naming the field, including nested ones, without the value', async () => {
    const bad = new OrderPlaced('o-1', 0, [line('secret-sku', 1), line('', 2)]);
    await expect(writer.prepare([bad])).rejects.toThrow(OutboxValidationError);
    const error = (await writer.prepare([bad]).catch((e: unknown) => e)) as OutboxValidationError;
    expect(error.code).toBe('LOCKSTEP_OUTBOX_INVALID_EVENT');
    expect(error.violations.map((v) => v.property)).toEqual(['totalCents', 'lines.1.sku']);
    expect(error.message).toMatch(/unit\.order\.placed is invalid: totalCents: .*, lines\.1\.sku/);
    expect(error.message).not.toContain('secret-sku');
  });

  it('can skip validation when configured', async () => {
    const rows = await new OutboxWriter({ validate: false }).prepare([new OrderPlaced('o-1', 0)]);
    expect(rows).toHaveLength(1);
  });

  it('refuses objects that are not @OutboxEvent instances, and empty aggregate ids', async () => {
    await expect(writer.prepare([{ orderId: 'x' }])).rejects.toThrow(OutboxEventDefinitionError);
    await expect(new OutboxWriter({ validate: false }).prepare([new OrderPlaced('', 1)])).rejects.toThrow(/empty aggregate id/);
  });

  it('refuses to write without an open transaction, before touching the database', async () => {
    await expect(writer.write({ queryRunner: undefined } as never, new OrderPlaced('o', 1))).rejects.toThrow(
      OutboxNotInTransactionError,
    );
    const idle = { startTransaction() {}, isTransactionActive: false, isReleased: false };
    await expect(writer.write(idle as never, new OrderPlaced('o', 1))).rejects.toThrow(/dataSource\.transaction/);
  });
});

describe('OutboxWriter.insertStatements', () => {
  it('writes one multi-row prepared INSERT per publish', async () => {
    const writer = new OutboxWriter({ table: 'my_outbox' });
    const rows = await writer.prepare([new OrderPlaced('a', 1), new OrderPlaced('b', 2), new OrderPlaced('c', 3)]);
    const statements = writer.insertStatements(rows);
    expect(statements).toHaveLength(1);
    expect(statements[0].sql).toBe(
      'INSERT INTO `my_outbox` (id, aggregate_type, aggregate_id, event_type, payload, headers, created_at) VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)',
    );
    expect(statements[0].params).toHaveLength(21);
    expect(statements[0].params[4]).toBe(rows[0].payload);
    expect(JSON.parse(statements[0].params[5] as string)).toEqual(rows[0].headers);
  });

  it('splits by row count and by payload bytes', async () => {
    const writer = new OutboxWriter({ maxRowsPerStatement: 2, maxBytesPerStatement: 100 });
    const rows = await writer.prepare(Array.from({ length: 5 }, (_, i) => new OrderPlaced(`o${i}`, 1)));
    expect(writer.insertStatements(rows).map((s) => s.params.length / 7)).toEqual([2, 2, 1]);
    const big = await writer.prepare([new OrderPlaced('x'.repeat(60), 1), new OrderPlaced('y'.repeat(60), 1)]);
    expect(writer.insertStatements(big).map((s) => s.params.length / 7)).toEqual([1, 1]);
  });

  it('rejects an unsafe table name', () => {
    expect(() => new OutboxWriter({ table: 'x; DROP TABLE y' })).toThrow(/invalid outbox table name/);
  });
});

describe('RecordsEvents', () => {
  class Order extends RecordsEvents {
    id = 'o-1';
    place() {
      this.record(new OrderPlaced(this.id, 100));
    }
  }

  it('keeps recorded events off the entity (no column, not in JSON)', () => {
    const order = new Order();
    order.place();
    expect(order.recordedEvents()).toHaveLength(1);
    expect(Object.keys(order)).toEqual(['id']);
    expect(JSON.stringify(order)).toBe('{"id":"o-1"}');
  });

  it('works as a mixin and refuses non-events', () => {
    class Base {
      base = true;
    }
    class Mixed extends RecordsEventsMixin(Base) {
      add(e: object) {
        this.record(e);
      }
    }
    const m = new Mixed();
    m.add(new OrderPlaced('o', 1));
    expect(pendingEventsOf(m)).toHaveLength(1);
    expect(m.base).toBe(true);
    expect(() => m.add({ not: 'an event' })).toThrow(OutboxEventDefinitionError);
  });
});

describe('utcDatetime6', () => {
  it('formats UTC with microseconds, deterministic for a given time', async () => {
    const { utcDatetime6 } = await import('./outbox-record.js');
    expect(utcDatetime6(Date.UTC(2026, 10, 24, 20, 1, 2, 345) + 0.678)).toBe('2026-11-24 20:01:02.345678');
    expect(utcDatetime6(Date.UTC(2026, 0, 1))).toBe('2026-01-01 00:00:00.000000');
    expect(utcDatetime6()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  });
});
