import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { kafkaConnectionFromEnv, mysqlSslFromEnv, mysqlUrlFromEnv } from '@lockstep/core';
import { LockstepServer } from '@lockstep/consumer';
import { OrderViewModule } from './order-view.module.js';

/**
 * The order-view service: a Lockstep consumer (custom @nestjs/microservices transport) plus
 * an HTTP query API and Prometheus metrics (/metrics) on LOCKSTEP_ORDER_VIEW_PORT (default 3001).
 */
const env = process.env;
const prefix = env.LOCKSTEP_TOPIC_PREFIX ?? 'lockstep';
const app = await NestFactory.create(
  OrderViewModule.forRoot({
    mysqlUrl: mysqlUrlFromEnv(env),
    mysqlSsl: mysqlSslFromEnv(env),
    kafka: kafkaConnectionFromEnv(env),
    topicPrefix: prefix,
    groupId: env.LOCKSTEP_CONSUMER_GROUP ?? `${prefix}.order-view`,
  }),
  { logger: ['error', 'warn', 'log'] },
);
app.connectMicroservice({ strategy: app.get(LockstepServer) }, { inheritAppConfig: true });
app.enableShutdownHooks();
// HTTP first: the query API and /metrics answer while the consumer waits for its topics.
const port = Number(env.LOCKSTEP_ORDER_VIEW_PORT ?? 3001);
await app.listen(port, '127.0.0.1');
new Logger('order-view').log(`listening on http://127.0.0.1:${port}`);
await app.startAllMicroservices();
