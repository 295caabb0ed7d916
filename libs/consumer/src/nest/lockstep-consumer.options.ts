import type { LockstepServerOptions } from './lockstep-server.options.js';

/**
 * Options of `LockstepConsumerModule.forRoot()` / the `useFactory` of `forRootAsync()`: those
 * of LockstepServer (each documented there with its default) without `dataSource`, which the
 * module takes from DI (TypeOrmModule's DataSource; `dataSourceName` picks a named one).
 */
export type LockstepConsumerModuleOptions = Omit<LockstepServerOptions, 'dataSource'>;

/**
 * Keys given next to the options, in `forRoot({...})` and in `forRootAsync({ useFactory, ... })`
 * alike (never from the factory): they decide what the module registers.
 */
export interface LockstepConsumerModuleExtras {
  /** Serve the consumer's Prometheus registry (`registry` option) at GET this path, through
   * a controller of the module (the app's global prefix applies). `false`: no endpoint.
   * Default `'/metrics'`. */
  metricsPath?: string | false;
  /** Name of the TypeORM connection holding the read model (the `name` given to
   * `TypeOrmModule.forRoot()`). Default: the default DataSource. */
  dataSourceName?: string;
  /** Register the module globally, so `LockstepServer` (and the terminus indicator) can be
   * injected anywhere. Default true. */
  isGlobal?: boolean;
}
