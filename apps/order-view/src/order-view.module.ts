import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { KafkaConnectionOptions } from '@lockstep/core';
import { LockstepConsumerModule } from '@lockstep/consumer';
import { OutboxModule } from '@lockstep/outbox';
import { OrderViewController } from './order-view.controller.js';
import { OrderViewHandlers } from './order-view.handlers.js';

/** What the order view needs from its environment (main.ts reads it). */
export interface OrderViewConfig {
  mysqlUrl: string;
  mysqlSsl: { ca?: string; rejectUnauthorized: boolean } | undefined;
  kafka: KafkaConnectionOptions;
  /** Prefix of the topics, as the relay routes them (`<prefix>.<aggregate>`). */
  topicPrefix: string;
  /** Kafka consumer group (and key of the offsets stored in MySQL). */
  groupId: string;
}

@Module({})
export class OrderViewModule {
  static forRoot(config: OrderViewConfig): DynamicModule {
    return {
      module: OrderViewModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'mysql',
          url: config.mysqlUrl,
          ssl: config.mysqlSsl,
          synchronize: false,
          poolSize: 8,
          supportBigNumbers: true,
          bigNumberStrings: true,
        }),
        // Handlers may record events (the loyalty reward): they go to this database's outbox.
        OutboxModule.forRoot({ topicPrefix: config.topicPrefix }),
        // The consumer: LockstepServer built in DI with the DataSource above, metrics at GET /metrics.
        LockstepConsumerModule.forRoot({
          consumerName: 'order-view',
          groupId: config.groupId,
          topics: [`${config.topicPrefix}.order`, `${config.topicPrefix}.customer`],
          kafka: config.kafka,
        }),
      ],
      controllers: [OrderViewHandlers, OrderViewController],
    };
  }
}
