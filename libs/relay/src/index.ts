// The relay: RelayEngine (core, no I/O of its own) wired to its default adapters.
export * from './relay.js';
export { RelayEngine } from './core/relay-engine.js';
export type { RelayBatchCommitted, RelayEventMap } from './core/relay-events.js';
export * from './core/relay.options.js';
export * from './core/relay.errors.js';
export * from './core/relay-state-machine.js';
export * from './core/relay-checkpoint.js';
export * from './core/record-router.js';
export * from './core/outbox-row.js';
export * from './core/preflight-evaluation.js';
export * from './core/purge-risk.js';
export * from './core/gtid-lag.js';
export { classifySessionFailure, isLockstepError, type SessionFailure } from './core/session-failure.policy.js';
export type { SourceTransaction, CommitPosition } from './core/transaction-assembler.js';
export type { KafkaWait } from './core/retry-within-budget.js';
// Ports: what the core needs from outside; adapters and test fakes implement them.
export type { BinlogSource, BinlogSourceHandlers } from './ports/binlog-source.js';
export type { TransactionalPublisher } from './ports/transactional-publisher.js';
export type { LeaderLock, LeaderLockFactory } from './ports/leader-lock.js';
export type { CheckpointMirror } from './ports/checkpoint-mirror.js';
export type { BinlogServer } from './ports/binlog-server.js';
export type { RelayPorts } from './ports/relay-ports.js';
// Adapters (benchmarks, custom wiring); their signatures carry no zongji/kafkajs types.
export { ZongjiBinlogSource, type ZongjiBinlogSourceOptions } from './adapters/zongji/zongji-binlog-source.js';
export {
  KafkaTransactionalPublisher,
  type KafkaTransactionalPublisherOptions,
} from './adapters/kafkajs/kafka-transactional-publisher.js';
export * from './adapters/mysql/binlog-position.js';
export { readBinlogRetention } from './adapters/mysql/binlog-retention.reader.js';
export { gatherPreflightFacts, runPreflight } from './adapters/mysql/preflight-facts.js';
// Operations: replay, metrics, health, grants.
export * from './ops/outbox-replay.js';
export * from './ops/relay-metrics.js';
export * from './ops/relay-health.js';
export * from './ops/relay-grants.js';
// Nest: RelayModule & co. are the entry point '@lockstep/relay/nest' (Nest is an optional peer;
// `lockstep relay` runs without it).
export * from './migrations/index.js';
