import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { mysqlSslFromEnv, mysqlUrlFromEnv } from '@lockstep/core';
import { OutboxModule } from '@lockstep/outbox';
import { HealthController } from './health.controller.js';
import { Order } from './order.entity.js';
import { OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'mysql',
      url: mysqlUrlFromEnv(process.env),
      ssl: mysqlSslFromEnv(process.env),
      entities: [Order],
      synchronize: false,
      poolSize: 16,
      supportBigNumbers: true,
      bigNumberStrings: true,
    }),
    // The outbox table lives in the same database as the orders: that is what makes the
    // order row and its event one transaction.
    OutboxModule.forRoot({ topicPrefix: process.env.LOCKSTEP_TOPIC_PREFIX ?? 'lockstep' }),
  ],
  controllers: [OrdersController, HealthController],
  providers: [OrdersService],
})
export class OrdersModule {}
