import type { RelayPorts } from '../ports/relay-ports.js';
import type { CheckpointMirrorWriter } from './checkpoint-mirror-writer.js';
import type { KafkaWaitTracker } from './kafka-wait-tracker.js';
import type { PurgeRiskWatch } from './purge-risk-watch.js';
import type { TopicRouter } from './record-router.js';
import type { RelayEventSink } from './relay-events.js';
import type { RelayProgress } from './relay-progress.js';
import type { RelayStateMachine } from './relay-state-machine.js';
import type { ResolvedRelayOptions } from './relay.options.js';
import type { WakeSignal } from './wake-signal.js';

/** What the relay's loops share: built once by RelayEngine, read by its session loop and publish sessions. */
export interface RelayRunContext {
  readonly options: ResolvedRelayOptions;
  readonly ports: RelayPorts;
  readonly router: TopicRouter;
  readonly state: RelayStateMachine;
  readonly events: RelayEventSink;
  readonly wake: WakeSignal;
  readonly progress: RelayProgress;
  readonly kafkaWait: KafkaWaitTracker;
  readonly mirror: CheckpointMirrorWriter;
  readonly purgeRisk: PurgeRiskWatch;
  /** `stop()` was called: finish the transaction in flight, then end. */
  stopRequested(): boolean;
  /** The leader lock of this term is lost: stop publishing, compete for it again. */
  lockLost(): boolean;
}
