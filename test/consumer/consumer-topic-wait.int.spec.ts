import 'reflect-metadata';
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LockstepError } from '@lockstep/core';
import { LockstepServer } from '@lockstep/consumer';
import {
  applyLockstepSchema,
  createTestDatabase,
  createTopics,
  testKafkaConnection,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@lockstep/testing';
import { TotalsModule } from './fixtures/totals.fixture.js';
import { amountEvents, amountRecord, applyConsumerFixtureSchema, countApplied, produceWire } from './consumer-test-kit.js';

/** Keeps what the app logs, to check what the consumer says while it waits. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown): void {
    this.lines.push(String(message));
  }
  warn(message: unknown): void {
    this.lines.push(String(message));
  }
  error(message: unknown): void {
    this.lines.push(String(message));
  }
}

describe('a consumer whose topic does not exist yet (real Kafka)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    db = await createTestDatabase('ctopicwait');
    await applyLockstepSchema(db);
    await applyConsumerFixtureSchema(db);
    dataSource = new DataSource({ type: 'mysql', url: db.url, poolSize: 6 });
    await dataSource.initialize();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('waits for it, says so once, and consumes once the topic appears', async () => {
    const topic = uniqueName('ctest.late');
    const logger = new CapturingLogger();
    const server = new LockstepServer({
      consumerName: uniqueName('late'),
      dataSource,
      topics: [topic],
      kafka: testKafkaConnection(),
      topicWaitMs: 60_000,
    });
    const app = await NestFactory.createMicroservice(TotalsModule, { strategy: server, logger });
    cleanups.push(() => app.close());
    let started = false;
    const listening = app.listen().then(() => (started = true));

    const waiting = (): string[] => logger.lines.filter((l) => l.startsWith('waiting for topic'));
    await waitFor('the consumer to say it waits for the topic', () => waiting().length > 0, { timeoutMs: 30_000 });
    expect(waiting()[0]).toContain(topic);
    expect(waiting()[0]).toContain('the relay creates a topic when it publishes the first event');
    expect(server.health()).toMatchObject({ healthy: false, status: 'connecting' });
    expect(server.health().reason).toContain(`waiting for topic ${topic}`);
    expect(started).toBe(false);

    // What the relay does on its first event: create the topic, publish.
    const before = await countApplied(db);
    await createTopics([topic], { partitions: 2 });
    await produceWire(
      topic,
      amountEvents(10, 3).map((e) => amountRecord(e)),
    );
    await listening;
    await waitFor('10 events applied', async () => (await countApplied(db)) - before >= 10 || undefined, { timeoutMs: 60_000 });
    expect(waiting()).toHaveLength(1);
    expect(server.health()).toMatchObject({ healthy: true, status: 'connected' });
  });

  it('fails with LOCKSTEP_CONSUMER_TOPIC_MISSING and a hint after topicWaitMs', async () => {
    const topic = uniqueName('ctest.never');
    const server = new LockstepServer({
      consumerName: uniqueName('never'),
      dataSource,
      topics: [topic],
      kafka: testKafkaConnection(),
      topicWaitMs: 1_500,
    });
    const app = await NestFactory.createMicroservice(TotalsModule, { strategy: server, logger: false });
    cleanups.push(() => app.close());
    const error = await app.listen().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LockstepError);
    expect(error).toMatchObject({ code: 'LOCKSTEP_CONSUMER_TOPIC_MISSING', retriable: false });
    expect((error as LockstepError).message).toContain(topic);
    expect((error as LockstepError).hint).toContain('start the relay');
    expect(server.state).toBe('disconnected');
  });

  it('stops waiting when closed during the wait', async () => {
    const topic = uniqueName('ctest.closed');
    const server = new LockstepServer({
      consumerName: uniqueName('closed'),
      dataSource,
      topics: [topic],
      kafka: testKafkaConnection(),
      topicWaitMs: 60_000,
    });
    const app = await NestFactory.createMicroservice(TotalsModule, { strategy: server, logger: false });
    const listening = app.listen();
    await waitFor('the server to be connecting', () => server.state === 'connecting', { timeoutMs: 30_000 });
    await app.close();
    await listening;
    expect(server.state).toBe('disconnected');
  });
});
