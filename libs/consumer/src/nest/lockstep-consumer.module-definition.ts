import { ConfigurableModuleBuilder, type Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { createMetricsController } from './lockstep-metrics.controller.js';
import type { LockstepConsumerModuleExtras, LockstepConsumerModuleOptions } from './lockstep-consumer.options.js';
import { LockstepServer } from './lockstep-server.js';

const defaultExtras: Required<Pick<LockstepConsumerModuleExtras, 'metricsPath' | 'isGlobal'>> & LockstepConsumerModuleExtras = {
  metricsPath: '/metrics',
  isGlobal: true,
  dataSourceName: undefined,
};

/** Injection token of the module's options (LockstepConsumerModuleOptions). */
export const LOCKSTEP_CONSUMER_OPTIONS = Symbol.for('lockstep:consumer-options');

export const {
  ConfigurableModuleClass: LockstepConsumerConfigurableModule,
  OPTIONS_TYPE: LOCKSTEP_CONSUMER_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: LOCKSTEP_CONSUMER_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<LockstepConsumerModuleOptions>({
  moduleName: 'LockstepConsumer',
  optionsInjectionToken: LOCKSTEP_CONSUMER_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setExtras<LockstepConsumerModuleExtras>(defaultExtras, (definition, extras) => {
    // The server is built inside DI, from the options and the DataSource TypeOrmModule made
    // (and initialised): `app.get(LockstepServer)` is all main.ts needs.
    const server: Provider = {
      provide: LockstepServer,
      useFactory: (options: LockstepConsumerModuleOptions, dataSource: DataSource) =>
        new LockstepServer({ ...options, dataSource }),
      inject: [LOCKSTEP_CONSUMER_OPTIONS, getDataSourceToken(extras.dataSourceName)],
    };
    const metricsPath = extras.metricsPath ?? defaultExtras.metricsPath;
    return {
      ...definition,
      global: extras.isGlobal ?? defaultExtras.isGlobal,
      providers: [...(definition.providers ?? []), server],
      exports: [...(definition.exports ?? []), LockstepServer],
      controllers: [...(definition.controllers ?? []), ...(metricsPath === false ? [] : [createMetricsController(metricsPath)])],
    };
  })
  .build();
