import { Module } from '@nestjs/common';
import { ConfigurableRelayModule } from './relay.module-definition.js';

/**
 * Runs a Lockstep relay inside a Nest application: started in `onApplicationBootstrap`, drained
 * in `beforeApplicationShutdown` (call `app.enableShutdownHooks()` so signals reach it).
 *
 * ```ts
 * @Module({ imports: [RelayModule.forRoot({ name: 'orders', mysql, kafka })] })
 * // or, from configuration:
 * RelayModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (config: ConfigService) => ({ name: 'orders', ... }) })
 * // several relays in one app: an alias each, injected with @InjectRelay('billing')
 * RelayModule.forRoot({ alias: 'billing', name: 'billing', mysql, kafka })
 * ```
 * Exports the relay (`Relay`, or `getRelayToken(alias)`: state, checkpoint, events) and its
 * `RelayMetrics` (`getRelayMetricsToken(alias)`: a prom-client registry of its own). Every option
 * is documented, with its default, on `RelayOptions`.
 */
@Module({})
export class RelayModule extends ConfigurableRelayModule {}
