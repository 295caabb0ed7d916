// '@lockstep/relay/nest': the relay inside a Nest application. A separate entry point so that
// the relay process (`lockstep relay`) and Nest-free users never load @nestjs/*.
export { RelayModule } from './relay.module.js';
export {
  RELAY_MODULE_OPTIONS,
  type RelayModuleAsyncOptions,
  type RelayModuleExtras,
  type RelayModuleOptions,
} from './relay.module-definition.js';
export { getRelayToken, getRelayMetricsToken } from './relay.tokens.js';
export { InjectRelay, InjectRelayMetrics } from './relay.decorators.js';
export { RelayLifecycle } from './relay.lifecycle.js';
