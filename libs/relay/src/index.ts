export * from './relay.js';
export * from './relay.options.js';
export * from './relay.errors.js';
export * from './relay-state.js';
export * from './relay-checkpoint.js';
export * from './record-router.js';
export * from './outbox-row.js';
export * from './preflight.js';
export * from './binlog-position.js';
export type { BinlogSource, BinlogSourceHandlers } from './binlog-source.js';
export type { TransactionalPublisher } from './transactional-publisher.js';
export type { SourceTransaction, CommitPosition } from './transaction-assembler.js';
export * from './relay-grants.js';
export * from './relay-metrics.js';
export * from './relay.module.js';
// Building blocks (benchmarks, custom wiring); their signatures carry no zongji/kafkajs types.
export { ZongjiBinlogSource, type ZongjiBinlogSourceOptions } from './zongji-binlog-source.js';
export { KafkaTransactionalPublisher, type KafkaTransactionalPublisherOptions } from './kafka-transactional-publisher.js';
export * from './binlog-retention.js';
