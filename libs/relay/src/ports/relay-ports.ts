import type { KafkaWait } from '../core/retry-within-budget.js';
import type { BinlogServer } from './binlog-server.js';
import type { BinlogSource } from './binlog-source.js';
import type { CheckpointMirror } from './checkpoint-mirror.js';
import type { LeaderLockFactory } from './leader-lock.js';
import type { TransactionalPublisher } from './transactional-publisher.js';

/**
 * Everything the relay's core touches outside itself. `Relay` (relay.ts) wires the default
 * adapters (zongji, kafkajs, mysql2); a test wires fakes (core/relay-engine.unit.spec.ts).
 */
export interface RelayPorts {
  /** A new binlog source for each (re)start of the stream. */
  createBinlogSource(): BinlogSource;
  /** A new publisher (producer) for each session; `onWait` reports what Kafka refused for now. */
  createPublisher(onWait: (wait: KafkaWait) => void): TransactionalPublisher;
  /** A new leader lock for each leadership term. */
  createLeaderLock: LeaderLockFactory;
  /** Null: no checkpoint mirror (`checkpointTable: false`). Called once, at start. */
  createCheckpointMirror: (() => CheckpointMirror) | null;
  binlogServer: BinlogServer;
}
