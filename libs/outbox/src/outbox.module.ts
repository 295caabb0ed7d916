import { Module } from '@nestjs/common';
import { OutboxRetentionScheduler } from './outbox-retention.scheduler.js';
import { ConfigurableOutboxModule } from './outbox.module-definition.js';
import { OutboxService } from './outbox.service.js';

/**
 * The write side for Nest apps. Global by default (`isGlobal: false` to opt out):
 *
 * ```ts
 * @Module({ imports: [TypeOrmModule.forRoot({...}), OutboxModule.forRoot({ retention: { periodMs: 86_400_000 } })] })
 * ```
 * `forRootAsync({ useFactory, inject })` takes the same options from a factory.
 */
@Module({
  providers: [OutboxService, OutboxRetentionScheduler],
  exports: [OutboxService],
})
export class OutboxModule extends ConfigurableOutboxModule {}
