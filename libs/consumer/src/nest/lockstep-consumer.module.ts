import { Module } from '@nestjs/common';
import { LockstepConsumerConfigurableModule } from './lockstep-consumer.module-definition.js';

/**
 * A Lockstep consumer in a Nest app. Builds `LockstepServer` inside DI (with TypeOrmModule's
 * DataSource) and serves its metrics; `main.ts` connects it as a microservice:
 *
 * ```ts
 * @Module({
 *   imports: [
 *     TypeOrmModule.forRoot({ type: 'mysql', url: process.env.DATABASE_URL }),
 *     LockstepConsumerModule.forRoot({ consumerName: 'order-view', topics: ['lockstep.order'], kafka: { brokers: ['127.0.0.1:9092'], ssl: false } }),
 *   ],
 *   controllers: [OrderViewHandlers],
 * })
 * export class AppModule {}
 *
 * // main.ts
 * app.connectMicroservice({ strategy: app.get(LockstepServer) }, { inheritAppConfig: true });
 * app.enableShutdownHooks();
 * await app.startAllMicroservices();
 * ```
 *
 * `forRootAsync({ imports, inject, useFactory })` takes the options from a factory (e.g.
 * ConfigService). `metricsPath`, `dataSourceName` and `isGlobal` (LockstepConsumerModuleExtras)
 * sit next to the options in both forms. Import the module once per app.
 */
@Module({})
export class LockstepConsumerModule extends LockstepConsumerConfigurableModule {}
