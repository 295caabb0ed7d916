import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaConnectionFromEnv } from '@lockstep/core';
import { Relay, RelayMetrics } from '@lockstep/relay';
import { RelayModule } from '@lockstep/relay/nest';
import {
  createRelayTestDatabase,
  dropRelayTestDatabase,
  gtidBinlogPos,
  insertOutboxRows,
  testOutboxEvent,
  uniqueName,
  waitFor,
  type RelayTestUser,
  type TestDatabase,
} from '@lockstep/testing';
import { RelayAppModule } from './relay-app.module.js';

describe('relay as a Nest app (RelayModule, /health, /metrics)', () => {
  let db: TestDatabase;
  let relayUser: RelayTestUser;
  let app: INestApplication | null = null;

  beforeAll(async () => {
    ({ db, relayUser } = await createRelayTestDatabase('relayapp'));
  });
  afterAll(async () => {
    await app?.close();
    await dropRelayTestDatabase({ db, relayUser });
  });

  it('starts on bootstrap, serves health and metrics, publishes, and stops on close', async () => {
    const admin = await db.admin();
    try {
      const prefix = uniqueName('lsapp');
      app = await NestFactory.create(
        RelayAppModule.register({
          name: prefix,
          mysql: relayUser.connection,
          kafka: kafkaConnectionFromEnv(process.env),
          topicPrefix: prefix,
          initialPosition: { gtidSet: await gtidBinlogPos(admin) },
        }),
        { logger: false },
      );
      await app.listen(0, '127.0.0.1');
      const base = await app.getUrl();
      const relay = app.get(Relay);
      await waitFor('publishing', () => relay.state === 'publishing', { timeoutMs: 60_000 });
      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ healthy: true, state: 'publishing', name: prefix });

      await insertOutboxRows(admin, [testOutboxEvent('acct', 'a-1', { seq: 1 }), testOutboxEvent('acct', 'a-1', { seq: 2 })]);
      const metrics = await waitFor(
        '2 events in /metrics',
        async () => {
          const text = await (await fetch(`${base}/metrics`)).text();
          return /^lockstep_relay_events_published_total 2$/m.test(text) ? text : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(metrics).toMatch(/^lockstep_relay_kafka_commit_seconds_count \d+/m);
      expect(metrics).toMatch(/^lockstep_relay_batch_size_events_bucket\{le="1"\}/m);
      expect(metrics).toMatch(/^lockstep_relay_state\{state="publishing"\} 1$/m);
      expect(metrics).toMatch(/^lockstep_relay_queued_transactions \d+$/m);
      expect(metrics).toMatch(/^lockstep_relay_lag_transactions \d+$/m); // the server's binlog end vs the checkpoint
      expect(metrics).not.toMatch(/"seq"/); // never payloads

      await app.close();
      app = null;
      expect(relay.state).toBe('stopped');
    } finally {
      await admin.end();
    }
  });

  it('forRootAsync builds the relay from a factory', async () => {
    @Module({
      imports: [
        RelayModule.forRootAsync({
          useFactory: async () => ({
            name: uniqueName('async'),
            mysql: relayUser.connection,
            kafka: kafkaConnectionFromEnv(process.env),
            topicPrefix: uniqueName('lsasync'),
            initialPosition: 'current' as const,
          }),
        }),
      ],
    })
    class AsyncModule {}
    const ctx = await NestFactory.createApplicationContext(AsyncModule, { logger: false });
    const relay = ctx.get(Relay);
    try {
      expect(ctx.get(RelayMetrics)).toBeInstanceOf(RelayMetrics);
      await waitFor('publishing', () => relay.state === 'publishing', { timeoutMs: 60_000 });
    } finally {
      await ctx.close();
    }
    expect(relay.state).toBe('stopped');
  });
});
