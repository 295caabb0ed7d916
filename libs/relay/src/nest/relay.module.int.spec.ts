import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Relay, RelayMetrics } from '@lockstep/relay';
import { InjectRelay, InjectRelayMetrics, RelayModule, getRelayMetricsToken, getRelayToken } from '@lockstep/relay/nest';
import {
  createRelayTestDatabase,
  dropRelayTestDatabase,
  gtidBinlogPos,
  insertOutboxRows,
  readAllCommitted,
  testKafkaConnection,
  testOutboxEvent,
  uniqueName,
  waitFor,
  type RelayTestUser,
  type TestDatabase,
} from '@lockstep/testing';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('RelayModule: two named relays in one app (real MariaDB + Kafka)', () => {
  let db: TestDatabase;
  let relayUser: RelayTestUser;

  beforeAll(async () => {
    ({ db, relayUser } = await createRelayTestDatabase('relaymod'));
  });
  afterAll(async () => {
    await dropRelayTestDatabase({ db, relayUser });
  });

  it('registers each relay under its alias, starts both on bootstrap, and drains both on close', async () => {
    const admin = await db.admin();
    const prefixA = uniqueName('lsmoda');
    const prefixB = uniqueName('lsmodb');
    try {
      const start = await gtidBinlogPos(admin);
      const common = {
        mysql: relayUser.connection,
        kafka: testKafkaConnection(),
        initialPosition: { gtidSet: start },
        checkpointTable: false as const,
        logger: quiet,
      };

      @Injectable()
      class Dashboard {
        constructor(
          @InjectRelay('orders') readonly orders: Relay,
          @InjectRelay('audit') readonly audit: Relay,
          @InjectRelayMetrics('audit') readonly auditMetrics: RelayMetrics,
        ) {}
      }

      @Module({
        imports: [
          RelayModule.forRoot({ alias: 'orders', name: uniqueName('orders'), topicPrefix: prefixA, ...common }),
          RelayModule.forRootAsync({
            alias: 'audit',
            useFactory: async () => ({ name: uniqueName('audit'), topicPrefix: prefixB, ...common }),
          }),
        ],
        providers: [Dashboard],
      })
      class AppModule {}

      const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
      const dashboard = app.get(Dashboard);
      const { orders, audit } = dashboard;
      try {
        expect(orders).toBeInstanceOf(Relay);
        expect(audit).toBeInstanceOf(Relay);
        expect(orders).not.toBe(audit);
        expect(app.get(getRelayToken('orders'))).toBe(orders);
        expect(app.get(getRelayMetricsToken('audit'))).toBe(dashboard.auditMetrics);
        // No unnamed relay was registered.
        expect(() => app.get(getRelayToken())).toThrow();
        await waitFor('both publishing', () => orders.state === 'publishing' && audit.state === 'publishing', {
          timeoutMs: 60_000,
        });

        await insertOutboxRows(admin, [testOutboxEvent('acct', 'a-1', { seq: 1 })]);
        // Both relays read the same outbox; each publishes under its own prefix, once.
        await waitFor(
          'both published it',
          () => orders.lastCheckpoint?.eventsPublished === 1 && audit.lastCheckpoint?.eventsPublished === 1,
          { timeoutMs: 60_000 },
        );
        const records = await readAllCommitted([`${prefixA}.acct`, `${prefixB}.acct`]);
        expect(records.map((r) => r.topic).sort()).toEqual([`${prefixA}.acct`, `${prefixB}.acct`].sort());
      } finally {
        await app.close();
      }
      expect(orders.state).toBe('stopped');
      expect(audit.state).toBe('stopped');
    } finally {
      await admin.end();
    }
  });
});
