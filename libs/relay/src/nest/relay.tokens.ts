import { Relay } from '../relay.js';
import { RelayMetrics } from '../ops/relay-metrics.js';

/**
 * The injection token of a relay registered by RelayModule: `Relay` itself for the relay without
 * an alias, `LockstepRelay:<alias>` for one registered with `alias` (like getDataSourceToken()).
 */
export function getRelayToken(alias?: string): string | typeof Relay {
  return alias === undefined ? Relay : `LockstepRelay:${alias}`;
}

/** The injection token of that relay's RelayMetrics: `RelayMetrics` itself, or `LockstepRelayMetrics:<alias>`. */
export function getRelayMetricsToken(alias?: string): string | typeof RelayMetrics {
  return alias === undefined ? RelayMetrics : `LockstepRelayMetrics:${alias}`;
}
