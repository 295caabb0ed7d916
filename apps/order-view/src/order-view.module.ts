import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { mysqlSslFromEnv, mysqlUrlFromEnv } from '@lockstep/core';
import { OutboxModule } from '@lockstep/outbox';
import { OrderViewController } from './order-view.controller.js';
import { OrderViewHandlers } from './order-view.handlers.js';

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'mysql',
      url: mysqlUrlFromEnv(),
      ssl: mysqlSslFromEnv(),
      synchronize: false,
      poolSize: 8,
      supportBigNumbers: true,
      bigNumberStrings: true,
    }),
    // Handlers may record events (the loyalty reward): they go to this database's outbox.
    OutboxModule.forRoot({ topicPrefix: process.env.LOCKSTEP_TOPIC_PREFIX ?? 'lockstep' }),
  ],
  controllers: [OrderViewHandlers, OrderViewController],
})
export class OrderViewModule {}
