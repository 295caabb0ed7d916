import type { BackoffOptions } from '../core/backoff.js';
import type { EventClass } from '../core/consumed-record.js';
import type { ConsumerMetricsPort } from '../ports/consumer-metrics.port.js';
import type { DeadLetterSink } from '../ports/dead-letter-sink.port.js';
import type { HandlerInvoker } from '../ports/handler-invoker.port.js';
import type { InboxStore } from '../ports/inbox-store.port.js';

/** The processing options, defaults filled in (see LockstepServerOptions for each). */
export interface ProcessorSettings {
  consumer: string;
  mode: 'event' | 'batch';
  maxBatchEvents: number;
  maxPayloadBytes: number;
  maxAttempts: number;
  backoff: BackoffOptions;
  unknownEventType: 'skip' | 'dead-letter' | 'fail';
  onDeadLetter: 'park-key' | 'skip-and-continue';
  deadLetterTopic: (topic: string) => string;
}

/** Where processing logs (Nest's Logger fits). */
export interface ProcessorLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What the parts of the partition processor share: ports only (no client library). */
export interface ProcessorDeps {
  store: InboxStore;
  sink: DeadLetterSink;
  metrics: ConsumerMetricsPort;
  settings: ProcessorSettings;
  /** Event class by event type, from the registered handlers. */
  classFor: (type: string) => EventClass | undefined;
  invoke: HandlerInvoker;
  logger: ProcessorLogger;
}
