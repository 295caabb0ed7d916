import { ConfigurableModuleBuilder, Logger, type Provider } from '@nestjs/common';
import type { RelayLogger, RelayOptions } from '../core/relay.options.js';
import { RelayMetrics } from '../ops/relay-metrics.js';
import { Relay } from '../relay.js';
import { RELAY_INSTANCE, RelayLifecycle } from './relay.lifecycle.js';
import { getRelayMetricsToken, getRelayToken } from './relay.tokens.js';

/** RelayModule's own settings, beside the relay's options. */
export interface RelayModuleExtras {
  /**
   * Registers the relay under `getRelayToken(alias)` / `@InjectRelay(alias)` (and its metrics
   * under `getRelayMetricsToken(alias)` / `@InjectRelayMetrics(alias)`), so that one app can run
   * several relays. Separate from the relay's `name` (its stream: lock, transactional id,
   * checkpoint), which may come from configuration at run time. Default: none, the relay is
   * injected as `Relay` and its metrics as `RelayMetrics`.
   */
  alias?: string;
  /** Makes the relay (and its metrics) injectable in every module. Default false. */
  isGlobal?: boolean;
}

const nestLogger = (): RelayLogger => {
  const l = new Logger('LockstepRelay');
  return { log: (m) => l.log(m), warn: (m) => l.warn(m), error: (m) => l.error(m) };
};

export const {
  ConfigurableModuleClass: ConfigurableRelayModule,
  MODULE_OPTIONS_TOKEN: RELAY_MODULE_OPTIONS,
  OPTIONS_TYPE: RELAY_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: RELAY_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<RelayOptions>({ moduleName: 'LockstepRelay' })
  .setClassMethodName('forRoot')
  .setExtras<RelayModuleExtras>({ alias: undefined, isGlobal: false }, (definition, extras) => {
    const relayToken = getRelayToken(extras.alias);
    const metricsToken = getRelayMetricsToken(extras.alias);
    const providers: Provider[] = [
      // The Nest logger unless the options bring their own.
      {
        provide: relayToken,
        useFactory: (options: RelayOptions) => new Relay({ logger: nestLogger(), ...options }),
        inject: [RELAY_MODULE_OPTIONS],
      },
      { provide: metricsToken, useFactory: (relay: Relay) => new RelayMetrics(relay), inject: [relayToken] },
      { provide: RELAY_INSTANCE, useExisting: relayToken },
      RelayLifecycle,
    ];
    return {
      ...definition,
      global: extras.isGlobal,
      providers: [...(definition.providers ?? []), ...providers],
      exports: [...(definition.exports ?? []), relayToken, metricsToken],
    };
  })
  .build();

/** What `RelayModule.forRoot` takes: the relay's options plus RelayModuleExtras. */
export type RelayModuleOptions = typeof RELAY_OPTIONS_TYPE;
/** What `RelayModule.forRootAsync` takes: `imports`, `inject`, `useFactory` (or `useClass`/`useExisting`) plus RelayModuleExtras. */
export type RelayModuleAsyncOptions = typeof RELAY_ASYNC_OPTIONS_TYPE;
