// Public API of @lockstep/consumer. The terminus health indicator is a separate entry point,
// `@lockstep/consumer/terminus` (nest/terminus/index.ts): @nestjs/terminus is optional.

// Nest surface
export * from './nest/lockstep-consumer.module.js';
export type { LockstepConsumerModuleExtras, LockstepConsumerModuleOptions } from './nest/lockstep-consumer.options.js';
export { LOCKSTEP_CONSUMER_OPTIONS } from './nest/lockstep-consumer.module-definition.js';
export * from './nest/lockstep-server.js';
export * from './nest/lockstep-server.options.js';
export * from './nest/lockstep-handler.decorator.js';
export * from './nest/lockstep-context.js';
export * from './nest/lockstep.constants.js';

// Errors, wire contract, pure helpers
export * from './core/consumer.errors.js';
export * from './core/consumer-tables.js';
export * from './core/dead-letter-headers.js';
export * from './core/safe-json.js';
export * from './core/backoff.js';
export type { ConsumedRecord } from './core/consumed-record.js';
export type { DeadLetterReason } from './core/record-decoder.js';

// Ports: what processing needs, kept free of client libraries (tests and other clients implement them)
export type { PartitionBatch, RecordSource } from './ports/record-source.port.js';
export type { DeadLetterSink, OutgoingRecord } from './ports/dead-letter-sink.port.js';
export type { EventStatus, InboxStore, StoreTransaction } from './ports/inbox-store.port.js';
export type { ConsumerMetricsPort } from './ports/consumer-metrics.port.js';

// Adapters with public use
export * from './adapters/mysql/consumer-schema.js';
export * from './adapters/prometheus/consumer.metrics.js';
export { headersToStrings } from './adapters/kafkajs/kafka-headers.js';

// Operations: list and re-drive dead letters
export * from './ops/dead-letter-redrive.js';

// Migrations of the consumer's tables
export * from './migrations/index.js';
