import { KafkaTransactionalPublisher } from './adapters/kafkajs/kafka-transactional-publisher.js';
import { MysqlBinlogServer } from './adapters/mysql/mysql-binlog-server.js';
import { MysqlCheckpointMirror } from './adapters/mysql/mysql-checkpoint-mirror.js';
import { MysqlLeaderLock } from './adapters/mysql/mysql-leader-lock.js';
import { ZongjiBinlogSource } from './adapters/zongji/zongji-binlog-source.js';
import { publisherRetryBudgetMs } from './core/deadline.js';
import { leaderLockName } from './core/leadership-loop.js';
import { RelayEngine } from './core/relay-engine.js';
import { transactionalIdFor, type RelayOptions, type ResolvedRelayOptions } from './core/relay.options.js';
import type { RelayPorts } from './ports/relay-ports.js';

/**
 * The relay as users run it: RelayEngine (core/) wired to its default adapters, zongji for the
 * binlog, kafkajs for Kafka, mysql2 for the leader lock, the checkpoint mirror and the server's
 * facts. `createBinlogSource` / `createPublisher` in the options replace the first two.
 * No Nest here: `RelayModule` wraps it.
 */
export class Relay extends RelayEngine {
  constructor(options: RelayOptions) {
    super(options, defaultRelayPorts);
  }
}

/** The adapters of a relay with these options. */
export function defaultRelayPorts(o: ResolvedRelayOptions): RelayPorts {
  return {
    createBinlogSource: () =>
      o.createBinlogSource?.() ??
      new ZongjiBinlogSource({
        connection: o.mysql,
        serverId: o.serverId,
        database: o.outboxDatabase,
        table: o.outboxTable,
        heartbeatMs: o.heartbeatMs,
      }),
    createPublisher: (onWait) =>
      o.createPublisher?.() ??
      new KafkaTransactionalPublisher({
        connection: o.kafka,
        relayName: o.name,
        transactionalId: transactionalIdFor(o.name),
        checkpointTopic: o.checkpointTopic,
        topicPartitions: o.topicPartitions,
        transactionTimeoutMs: o.transactionTimeoutMs,
        maxRequestBytes: 900 * 1024,
        transactions: o.transactions,
        checkpointReadTimeoutMs: Math.max(30_000, o.transactionTimeoutMs + 10_000),
        openTransactionGraceMs: o.openTransactionGraceMs,
        retryBudgetMs: publisherRetryBudgetMs(o.transactionTimeoutMs),
        onWait,
      }),
    createLeaderLock: (onLost) =>
      new MysqlLeaderLock({ connection: o.mysql, lockName: leaderLockName(o.name), pingIntervalMs: o.lockPingMs, onLost }),
    createCheckpointMirror: o.checkpointTable
      ? () =>
          new MysqlCheckpointMirror({
            connection: o.mysql,
            database: o.outboxDatabase,
            table: o.checkpointTable as string,
            relayName: o.name,
          })
      : null,
    binlogServer: new MysqlBinlogServer({
      connection: o.mysql,
      database: o.outboxDatabase,
      table: o.outboxTable,
      checkpointTable: o.checkpointTable,
    }),
  };
}
