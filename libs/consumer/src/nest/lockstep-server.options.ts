import type { KafkaConnectionOptions } from '@lockstep/core';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { BackoffOptions } from '../core/backoff.js';
import type { ConsumerTables } from '../core/consumer-tables.js';

/** Options of `new LockstepServer({...})`. Required: `consumerName`, `dataSource`, `topics`, `kafka`.
 * (With LockstepConsumerModule the DataSource comes from DI: see LockstepConsumerModuleOptions.) */
export interface LockstepServerOptions {
  /** Name of this consumer (its inbox rows, dead letters and parked keys are keyed by it).
   * Keep it stable across deploys: renaming it forgets what was processed. Max 191 chars. */
  consumerName: string;
  /** Kafka consumer group, and the key of the offsets stored in MySQL. Default: `consumerName`. */
  groupId?: string;
  /** An initialised TypeORM DataSource (type `mysql`) holding the read model. Its pool must
   * have at least `partitionsConcurrency` + 1 connections. */
  dataSource: DataSource;
  /** Topics to consume, e.g. `['lockstep.order']`. A missing topic is waited for (`topicWaitMs`). */
  topics: string[];
  /** Brokers and security. The library reads no environment: an app that keeps them in
   * LOCKSTEP_KAFKA_* variables passes `kafkaConnectionFromEnv(process.env)` (from `@lockstep/core`). */
  kafka: KafkaConnectionOptions;
  /** How long start-up waits for a topic that does not exist yet (the relay creates a topic
   * when it publishes the first event of its aggregate), logging once what it waits for; then
   * it fails with ConsumerTopicMissingError (LOCKSTEP_CONSUMER_TOPIC_MISSING). `listen()`
   * (`app.startAllMicroservices()`) resolves only after the wait. Default 5 min (300000): long
   * enough for a relay deployed alongside, short enough that a misspelt topic surfaces during
   * the deploy; 0 checks once. */
  topicWaitMs?: number;
  /** A partition whose batch made no progress (no record done) for this long is reported as
   * stalled by `health()` and the terminus indicator (e.g. MySQL down, a dead-letter topic
   * that cannot be written, unknownEventType 'fail' waiting for a handler). Default 60 s. */
  stallAfterMs?: number;
  /** Kafka client id. Default: `lockstep-consumer-<consumerName>`. */
  clientId?: string;
  /** `event`: one MySQL transaction per event (default). `batch`: one per run of consecutive
   * good events of a partition (up to `maxBatchEvents`) — same guarantee, more throughput;
   * a failing handler sends that run back through per-event processing. */
  mode?: 'event' | 'batch';
  /** Largest run of events in one transaction in batch mode. Default 500. */
  maxBatchEvents?: number;
  /** Partitions processed in parallel (each one in order). Default 3. */
  partitionsConcurrency?: number;
  /** Payloads larger than this are dead-lettered unparsed. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** Handler attempts before the event is dead-lettered. Default 5. An error with
   * `retriable: false` (e.g. DeadLetterError, a non-retriable LockstepError) is dead-lettered
   * at once; a MySQL connection error is waited out and never counts as an attempt. */
  maxAttempts?: number;
  /** Delay between handler attempts. Default 200 ms doubling up to 10 s. */
  backoff?: BackoffOptions;
  /** What to do with a record whose `lockstep-type` has no `@LockstepHandler()`:
   * `skip` (default, counted), `dead-letter`, or `fail` (the partition waits until a
   * handler is deployed). */
  unknownEventType?: 'skip' | 'dead-letter' | 'fail';
  /** After an event is dead-lettered: `park-key` (default) sends later events of the same key
   * (aggregate) to the dead-letter topic too, reason `parked-behind`, so none is applied out of
   * order; `skip-and-continue` applies later events as if the dead one never existed. */
  onDeadLetter?: 'park-key' | 'skip-and-continue';
  /** Dead-letter topic of a topic. Default `<topic>.dlq` (created with the same partition count
   * if missing). */
  deadLetterTopic?: (topic: string) => string;
  /** Read from the start of a partition that has no stored offset. Default true. */
  fromBeginning?: boolean;
  /** Kafka group session timeout. Default 10 s (a killed member's partitions move after it). */
  sessionTimeoutMs?: number;
  /** Heartbeat interval. Default 1 s. */
  heartbeatIntervalMs?: number;
  /** Inbox rows older than this many days are deleted (stored offsets keep dedup for older
   * events). Default 7; 0 disables pruning. */
  inboxRetentionDays?: number;
  /** How often pruning runs. Default 1 h. */
  inboxRetentionIntervalMs?: number;
  /** Table names. Defaults: lockstep_inbox, lockstep_consumer_offsets, lockstep_consumer_parked,
   * lockstep_consumer_dead_letters. */
  tables?: Partial<ConsumerTables>;
  /** Prometheus registry for the metrics (and what LockstepConsumerModule serves at
   * `metricsPath`). Default: prom-client's global registry. */
  registry?: Registry;
}
