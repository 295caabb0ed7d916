import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { LockstepServer } from '@lockstep/consumer';
import { OrderViewModule } from './order-view.module.js';

/**
 * The order-view service: a Lockstep consumer (custom @nestjs/microservices transport) plus
 * an HTTP query API on LOCKSTEP_ORDER_VIEW_PORT (default 3001).
 */
const prefix = process.env.LOCKSTEP_TOPIC_PREFIX ?? 'lockstep';
const app = await NestFactory.create(OrderViewModule, { logger: ['error', 'warn', 'log'] });
app.connectMicroservice(
  {
    strategy: new LockstepServer({
      consumerName: 'order-view',
      groupId: process.env.LOCKSTEP_CONSUMER_GROUP ?? `${prefix}.order-view`,
      topics: [`${prefix}.order`, `${prefix}.customer`],
      dataSource: app.get(DataSource),
    }),
  },
  { inheritAppConfig: true },
);
app.enableShutdownHooks();
await app.startAllMicroservices();
const port = Number(process.env.LOCKSTEP_ORDER_VIEW_PORT ?? 3001);
await app.listen(port, '127.0.0.1');
new Logger('order-view').log(`listening on http://127.0.0.1:${port}`);
