import 'reflect-metadata';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { uuidToString, uuidv7Bytes } from '@lockstep/core';
import { LockstepConsumerModule, LockstepServer, type LockstepConsumerModuleOptions } from '@lockstep/consumer';
import { LockstepConsumerHealthIndicator } from '@lockstep/consumer/terminus';
import {
  applyLockstepSchema,
  createTestDatabase,
  createTopics,
  testKafkaConnection,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@lockstep/testing';
import { TotalsProjection } from './fixtures/totals.fixture.js';
import { amountEvents, amountRecord, applyConsumerFixtureSchema, countApplied, produceWire } from './consumer-test-kit.js';

/** The health endpoint as an app writes it with terminus and the Lockstep indicator. */
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly consumer: LockstepConsumerHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.consumer.isHealthy('lockstep-consumer')]);
  }
}

@Module({ imports: [TerminusModule], controllers: [HealthController], providers: [LockstepConsumerHealthIndicator] })
class HealthModule {}

interface Started {
  app: INestApplication;
  base: string;
  registry: Registry;
}

interface HealthResponse {
  code: number;
  body: { status: string; info?: Record<string, unknown>; error?: Record<string, Record<string, unknown>> };
}

describe('LockstepConsumerModule with terminus health and /metrics (Nest app, real MariaDB + Kafka)', () => {
  let db: TestDatabase;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('cmodule');
    await applyLockstepSchema(db);
    await applyConsumerFixtureSchema(db);
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
  });

  afterAll(async () => {
    await db?.drop();
  });

  /** The app as users write it: TypeOrmModule + LockstepConsumerModule.forRootAsync, main.ts
   * connecting `app.get(LockstepServer)`. HTTP listens before the consumer starts. */
  async function createApp(
    options: Omit<LockstepConsumerModuleOptions, 'kafka' | 'registry'>,
    extras: { metricsPath?: string | false; dataSourceName?: string } = {},
  ): Promise<Started> {
    const registry = new Registry();
    @Module({
      imports: [
        TypeOrmModule.forRoot({ name: extras.dataSourceName, type: 'mysql', url: db.url, poolSize: 6 }),
        LockstepConsumerModule.forRootAsync({
          useFactory: () => ({ ...options, kafka: testKafkaConnection(), registry }),
          ...extras,
        }),
        HealthModule,
      ],
      controllers: [TotalsProjection],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
    apps.push(app);
    app.connectMicroservice({ strategy: app.get(LockstepServer) }, { inheritAppConfig: true });
    await app.listen(0, '127.0.0.1');
    return { app, base: await app.getUrl(), registry };
  }

  async function health(base: string): Promise<HealthResponse> {
    const res = await fetch(`${base}/health`);
    return { code: res.status, body: (await res.json()) as never };
  }

  it('builds the server in DI, reports down until connected then up, and serves the registry at /metrics', async () => {
    const topic = uniqueName('ctest.module');
    const consumerName = uniqueName('module');
    await createTopics([topic], { partitions: 2 });
    const { app, base } = await createApp({ consumerName, topics: [topic] });

    const before = await health(base);
    expect(before.code).toBe(503);
    expect(before.body.error?.['lockstep-consumer']).toMatchObject({ status: 'down', consumer: 'disconnected' });

    await app.startAllMicroservices();
    const up = await health(base);
    expect(up.code).toBe(200);
    expect(up.body.info?.['lockstep-consumer']).toMatchObject({ status: 'up', consumer: 'connected' });

    const before0 = await countApplied(db);
    await produceWire(
      topic,
      amountEvents(20, 4).map((e) => amountRecord(e)),
    );
    await waitFor('20 events applied', async () => (await countApplied(db)) - before0 >= 20 || undefined, { timeoutMs: 60_000 });

    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain(`lockstep_consumer_events_total{consumer="${consumerName}",topic="${topic}",outcome="applied"} 20`);
    expect(text).toContain('lockstep_consumer_end_to_end_lag_seconds_bucket');

    await app.close();
    apps.pop();
  });

  it('reports a stalled partition down; a named DataSource and another metrics path', async () => {
    const topic = uniqueName('ctest.stall');
    await createTopics([topic], { partitions: 1 });
    // unknownEventType 'fail': the partition waits for a handler, making no progress.
    const { app, base } = await createApp(
      {
        consumerName: uniqueName('stall'),
        topics: [topic],
        unknownEventType: 'fail',
        stallAfterMs: 500,
        backoff: { initialMs: 50, maxMs: 200 },
      },
      { metricsPath: '/internal/metrics', dataSourceName: 'readModel' },
    );
    await app.startAllMicroservices();
    expect((await health(base)).code).toBe(200);

    const id = uuidToString(uuidv7Bytes());
    await produceWire(topic, [amountRecord({ id, account: 'a', amount: 1, seq: 1 }, { type: 'ctest.nobody-handles-this' })]);
    const down = await waitFor(
      'health down with a stalled partition',
      async () => {
        const h = await health(base);
        return h.code === 503 ? h : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const detail = down.body.error?.['lockstep-consumer'];
    expect(detail).toMatchObject({ status: 'down', consumer: 'connected', stalledPartitions: [{ topic, partition: 0 }] });
    expect(String(detail?.reason)).toContain(`no progress on ${topic}[0]`);

    expect((await fetch(`${base}/internal/metrics`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
  });

  it('metricsPath: false registers no metrics endpoint', async () => {
    const { base } = await createApp({ consumerName: uniqueName('nometrics'), topics: ['unused'] }, { metricsPath: false });
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
  });
});
