import {
  Inject,
  Injectable,
  Logger,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type FactoryProvider,
  type ModuleMetadata,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Relay } from './relay.js';
import { RelayMetrics } from './relay-metrics.js';
import type { RelayLogger, RelayOptions } from './relay.options.js';

export const RELAY_OPTIONS = Symbol('LOCKSTEP_RELAY_OPTIONS');

/** Options of RelayModule.forRootAsync: a factory with its injections, like TypeOrmModule's. */
export interface RelayModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: never[]) => RelayOptions | Promise<RelayOptions>;
  inject?: FactoryProvider['inject'];
}

/** Starts the relay when the app has bootstrapped; stops it (gracefully) before shutdown. Never throws on shutdown. */
@Injectable()
export class RelayLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('LockstepRelay');

  constructor(@Inject(Relay) private readonly relay: Relay) {}

  async onApplicationBootstrap(): Promise<void> {
    this.logger.log(`starting relay "${this.relay.name}" (transactional id ${this.relay.transactionalId})`);
    await this.relay.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    try {
      await this.relay.stop();
      this.logger.log(`relay "${this.relay.name}" stopped`);
    } catch (error) {
      this.logger.error(`relay "${this.relay.name}" did not stop cleanly: ${(error as Error).message}`);
    }
  }
}

const nestLogger = (): RelayLogger => {
  const l = new Logger('LockstepRelay');
  return { log: (m) => l.log(m), warn: (m) => l.warn(m), error: (m) => l.error(m) };
};

const relayProviders = [
  {
    provide: Relay,
    useFactory: (options: RelayOptions) => new Relay({ logger: nestLogger(), ...options }),
    inject: [RELAY_OPTIONS],
  },
  { provide: RelayMetrics, useFactory: (relay: Relay) => new RelayMetrics(relay), inject: [Relay] },
  RelayLifecycle,
];

/**
 * Runs a Lockstep relay inside a Nest application. Exports `Relay` (state, checkpoint, events)
 * and `RelayMetrics` (a prom-client registry) for the app's own HTTP endpoints.
 */
@Module({})
export class RelayModule {
  static forRoot(options: RelayOptions): DynamicModule {
    return {
      module: RelayModule,
      providers: [{ provide: RELAY_OPTIONS, useValue: options }, ...relayProviders],
      exports: [Relay, RelayMetrics],
    };
  }

  static forRootAsync(options: RelayModuleAsyncOptions): DynamicModule {
    return {
      module: RelayModule,
      imports: options.imports ?? [],
      providers: [{ provide: RELAY_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }, ...relayProviders],
      exports: [Relay, RelayMetrics],
    };
  }
}
