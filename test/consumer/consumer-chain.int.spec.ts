import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IsInt, IsString } from 'class-validator';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockstepHeader, uuidToString, uuidv7Bytes } from '@lockstep/core';
import { OutboxEvent } from '@lockstep/core';
import { OutboxWriter } from '@lockstep/outbox';
import { LockstepHandler, LockstepServer, type LockstepContext } from '@lockstep/consumer';
import {
  applyLockstepSchema,
  createTestDatabase,
  createTopics,
  testKafkaConnection,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@lockstep/testing';
import { applyConsumerFixtureSchema, produceWire, type WireRecord } from './consumer-test-kit.js';

@OutboxEvent({ type: 'ctest.payment-requested', aggregate: 'ctest-payment', aggregateId: 'paymentId' })
class PaymentRequested {
  @IsString() paymentId!: string;
  @IsInt() cents!: number;
}

@OutboxEvent({ type: 'ctest.payment-captured', aggregate: 'ctest-payment', aggregateId: 'paymentId' })
class PaymentCaptured {
  @IsString() paymentId!: string;
  @IsInt() cents!: number;
}

const seen: Array<{
  eventId: string;
  attempt: number;
  topic: string;
  partition: number;
  offset: string;
  aggregateId: string;
  occurredAt?: Date;
}> = [];
const writer = new OutboxWriter();

/** A saga step: handling one event records the next one in the SAME transaction. The first
 * attempt writes the follow-up and then fails, so the retry proves the write rolled back. */
@Controller()
class CaptureSaga {
  @LockstepHandler(PaymentRequested)
  async onRequested(event: PaymentRequested, ctx: LockstepContext): Promise<void> {
    seen.push({
      eventId: ctx.eventId,
      attempt: ctx.attempt,
      topic: ctx.topic,
      partition: ctx.partition,
      offset: ctx.offset,
      aggregateId: ctx.aggregateId,
      occurredAt: ctx.occurredAt,
    });
    const next = Object.assign(new PaymentCaptured(), { paymentId: event.paymentId, cents: event.cents });
    await writer.write(ctx.manager, next);
    if (ctx.attempt === 1) throw new Error('transient failure after the outbox write');
  }
}

@Module({ controllers: [CaptureSaga] })
class SagaModule {}

describe('consumer handlers chain through the outbox (exactly once)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('cchain');
    await applyLockstepSchema(db);
    await applyConsumerFixtureSchema(db);
    dataSource = new DataSource({ type: 'mysql', url: db.url, poolSize: 5 });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('a follow-up event is recorded once per handled event, with causation, correlation and trace context', async () => {
    const topic = uniqueName('ctest.payment');
    await createTopics([topic], { partitions: 1 });
    const id = uuidToString(uuidv7Bytes());
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const record: WireRecord = {
      key: 'pay-1',
      value: Buffer.from(JSON.stringify({ paymentId: 'pay-1', cents: 1250 })),
      headers: {
        [LockstepHeader.id]: id,
        [LockstepHeader.type]: 'ctest.payment-requested',
        [LockstepHeader.aggregateType]: 'ctest-payment',
        [LockstepHeader.aggregateId]: 'pay-1',
        [LockstepHeader.occurredAt]: '2026-11-24T20:00:00.123456Z',
        [LockstepHeader.correlationId]: 'checkout-77',
        [LockstepHeader.traceparent]: traceparent,
      },
    };
    // The same event twice (a redelivery): the inbox lets only one through.
    await produceWire(topic, [record, record]);

    const app = await NestFactory.createMicroservice(SagaModule, {
      strategy: new LockstepServer({
        consumerName: uniqueName('saga'),
        dataSource,
        topics: [topic],
        kafka: testKafkaConnection(),
        backoff: { initialMs: 10 },
      }),
      logger: ['error'],
    });
    await app.listen();
    try {
      await waitFor(
        'both records handled',
        async () => {
          const rows = await dataSource.query<Array<{ next_offset: string }>>(
            'SELECT next_offset FROM lockstep_consumer_offsets',
          );
          return (rows[0] && Number(rows[0].next_offset) >= 2) || undefined;
        },
        { timeoutMs: 60_000 },
      );
    } finally {
      await app.close();
    }

    const rows = await dataSource.query<Array<{ event_type: string; aggregate_id: string; headers: string }>>(
      'SELECT event_type, aggregate_id, headers FROM lockstep_outbox',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].event_type).toBe('ctest.payment-captured');
    expect(rows[0].aggregate_id).toBe('pay-1');
    const headers = JSON.parse(rows[0].headers) as Record<string, string>;
    expect(headers[LockstepHeader.causationId]).toBe(id);
    expect(headers[LockstepHeader.correlationId]).toBe('checkout-77');
    expect(headers[LockstepHeader.traceparent]).toBe(traceparent);

    expect(seen.map((s) => s.attempt)).toEqual([1, 2]); // one failure, one retry; the duplicate never ran
    expect(seen[1]).toMatchObject({ eventId: id, topic, partition: 0, offset: '0', aggregateId: 'pay-1' });
    expect(seen[1].occurredAt?.toISOString()).toBe('2026-11-24T20:00:00.123Z');
  });
});
