import type { RelayEngine } from '../core/relay-engine.js';
import type { RelayState } from '../core/relay-state-machine.js';

/** Health as the HTTP endpoint reports it: leader and publishing, or a healthy standby. */
export function relayHealth(relay: RelayEngine): { healthy: boolean; state: RelayState; name: string; checkpoint: unknown } {
  const healthy = relay.state === 'publishing' || relay.state === 'standby';
  return { healthy, state: relay.state, name: relay.name, checkpoint: relay.lastCheckpoint };
}
