import type { RelayCheckpoint } from './relay-checkpoint.js';
import type { RelayState } from './relay-state-machine.js';
import type { KafkaWait } from './retry-within-budget.js';

/** Reported after every committed Kafka transaction. */
export interface RelayBatchCommitted {
  events: number;
  transactions: number;
  bytes: number;
  commitMs: number;
  checkpoint: RelayCheckpoint;
}

export interface RelayEventMap {
  state: [from: RelayState, to: RelayState];
  batch: [RelayBatchCommitted];
  /** Backpressure: the binlog connection was paused (true) or resumed (false). */
  paused: [boolean];
  /** Something recoverable went wrong; the relay carries on. `code` is stable. */
  warning: [code: string, message: string];
  /** Kafka refused part of a publish for now (leader moving, broker down): retried within the transaction timeout. */
  kafkaWait: [KafkaWait];
}

/** Where the relay's parts report to: the relay (an EventEmitter of these events). */
export interface RelayEventSink {
  emit<K extends keyof RelayEventMap>(event: K, ...args: RelayEventMap[K]): boolean;
}
