import { createHash } from 'node:crypto';
import {
  DEFAULT_OUTBOX_TABLE,
  DEFAULT_RELAY_CHECKPOINT_TABLE,
  DEFAULT_TOPIC_PREFIX,
  type KafkaConnectionOptions,
  type MysqlConnectionOptions,
} from '@lockstep/core';
import type { BinlogSource } from '../ports/binlog-source.js';
import type { TopicRouter } from './record-router.js';
import type { TransactionalPublisher } from '../ports/transactional-publisher.js';

/** Where a relay with no checkpoint yet starts reading. */
export type RelayInitialPosition = 'earliest' | 'current' | { gtidSet: string };

export interface RelayLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface RelayOptions {
  /** Names the stream: lock name, transactional id (`lockstep-relay-<name>`), checkpoint key. */
  name: string;
  /** Binlog, leader lock and checkpoint mirror connection (a least-privilege relay user). */
  mysql: MysqlConnectionOptions & { ssl?: unknown };
  /** Brokers, TLS and SASL of the Kafka cluster (required; the library reads no environment: the CLI maps LOCKSTEP_KAFKA_*). */
  kafka: KafkaConnectionOptions;
  /** Database of the outbox table. Default: `mysql.database`. */
  outboxDatabase?: string;
  /** Default `lockstep_outbox`. */
  outboxTable?: string;
  /** MySQL table mirroring the checkpoint (in `outboxDatabase`); `false` disables the mirror. Default `lockstep_relay_checkpoint`. */
  checkpointTable?: string | false;
  /** Binlog replica id, unique per reader of the server. Default: derived from `name` (never 1). */
  serverId?: number;
  /** Default `lockstep`: events go to `<prefix>.<aggregate_type>`. */
  topicPrefix?: string;
  /** Overrides the default `<prefix>.<aggregate_type>` routing. */
  topicRouter?: TopicRouter;
  /** Partitions of event topics the relay creates. Default 3. */
  topicPartitions?: number;
  /** Default `<prefix>.relay-checkpoints` (compacted, one partition; created if missing). */
  checkpointTopic?: string;
  /** Used only when the checkpoint topic has nothing for this relay. Default 'earliest'. */
  initialPosition?: RelayInitialPosition;
  /** 'now' ignores the checkpoint and starts at the binlog's end: the purged-binlog escape hatch (logs a GAP warning). */
  startFrom?: 'checkpoint' | 'now';
  /** Cap per Kafka transaction (whole source transactions are never split, so one big one may exceed it). Default 5000. */
  maxBatchEvents?: number;
  /** Default 4 MiB. */
  maxBatchBytes?: number;
  /** Backpressure: the binlog is paused above this many queued events, resumed below half. Default 20000. */
  maxQueuedEvents?: number;
  /** Server heartbeat period; 3 silent periods restart the stream. Default 5000. */
  heartbeatMs?: number;
  /** Leader-lock connection ping. Default 1000. */
  lockPingMs?: number;
  /** Kafka transaction timeout. Default 60000. */
  transactionTimeoutMs?: number;
  /**
   * How long an open transaction on the checkpoint partition may keep it from being read to its
   * end at start before the relay stops with HangingTransactionError. Default transactionTimeoutMs + 15000.
   */
  openTransactionGraceMs?: number;
  /** A checkpoint-only transaction is written when the position moved but no event was published for this long. Default 10000. */
  idleCheckpointMs?: number;
  /** Refuse to start when binlog settings or grants are wrong. Default true. */
  preflight?: boolean;
  /**
   * Kafka transactions (events + checkpoint atomically): exactly-once. `false` publishes with
   * an idempotent producer and writes the checkpoint after the events: AT-LEAST-ONCE (a crash
   * between the two re-publishes that batch). Only for measuring what exactly-once costs, or
   * for brokers without transactions. Default true.
   */
  transactions?: boolean;
  /** Where the relay logs (never payloads). Default: the console with a `[lockstep-relay]` prefix; in RelayModule, Nest's Logger. */
  logger?: RelayLogger;
  /** Replaces the zongji binlog source (a new one per stream start). Default: ZongjiBinlogSource. */
  createBinlogSource?: () => BinlogSource;
  /** Replaces the kafkajs publisher (a new one per session). Default: KafkaTransactionalPublisher. */
  createPublisher?: () => TransactionalPublisher;
}

export type ResolvedRelayOptions = Required<
  Omit<RelayOptions, 'createBinlogSource' | 'createPublisher' | 'topicRouter' | 'checkpointTable'>
> &
  Pick<RelayOptions, 'createBinlogSource' | 'createPublisher' | 'topicRouter'> & { checkpointTable: string | false };

/** The Kafka transactional id of a relay name: stable, so a new leader fences the old one (I6). */
export function transactionalIdFor(relayName: string): string {
  return `lockstep-relay-${relayName}`;
}

/** A stable replica id from the relay name, in 1000..2^31-1 so it never collides with the primary (1) or small hand-picked ids. */
export function serverIdForRelayName(name: string): number {
  const n = createHash('sha256').update(`lockstep-relay:${name}`).digest().readUInt32BE(0);
  return 1000 + (n % (2 ** 31 - 1001));
}

export const consoleRelayLogger: RelayLogger = {
  log: (m) => console.log(`[lockstep-relay] ${m}`),
  warn: (m) => console.warn(`[lockstep-relay] WARN ${m}`),
  error: (m) => console.error(`[lockstep-relay] ERROR ${m}`),
};

export function resolveRelayOptions(o: RelayOptions): ResolvedRelayOptions {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(o.name))
    throw new TypeError(`relay name must match [A-Za-z0-9._-]{1,100}, got "${o.name}"`);
  const topicPrefix = o.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
  return {
    ...o,
    outboxDatabase: o.outboxDatabase ?? o.mysql.database,
    outboxTable: o.outboxTable ?? DEFAULT_OUTBOX_TABLE,
    checkpointTable: o.checkpointTable === undefined ? DEFAULT_RELAY_CHECKPOINT_TABLE : o.checkpointTable,
    serverId: o.serverId ?? serverIdForRelayName(o.name),
    topicPrefix,
    topicPartitions: o.topicPartitions ?? 3,
    checkpointTopic: o.checkpointTopic ?? `${topicPrefix}.relay-checkpoints`,
    initialPosition: o.initialPosition ?? 'earliest',
    startFrom: o.startFrom ?? 'checkpoint',
    maxBatchEvents: o.maxBatchEvents ?? 5_000,
    maxBatchBytes: o.maxBatchBytes ?? 4 * 1024 * 1024,
    maxQueuedEvents: o.maxQueuedEvents ?? 20_000,
    heartbeatMs: o.heartbeatMs ?? 5_000,
    lockPingMs: o.lockPingMs ?? 1_000,
    transactionTimeoutMs: o.transactionTimeoutMs ?? 60_000,
    openTransactionGraceMs: o.openTransactionGraceMs ?? (o.transactionTimeoutMs ?? 60_000) + 15_000,
    idleCheckpointMs: o.idleCheckpointMs ?? 10_000,
    preflight: o.preflight ?? true,
    transactions: o.transactions ?? true,
    logger: o.logger ?? consoleRelayLogger,
  };
}
