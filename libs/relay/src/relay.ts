import { EventEmitter } from 'node:events';
import { uuidToString } from '@lockstep/core';
import type { BinlogSource } from './binlog-source.js';
import { currentGtidPosition, readBinlogEnd } from './binlog-position.js';
import { assessPurgeRisk, readBinlogRetention } from './binlog-retention.js';
import { MysqlCheckpointMirror } from './checkpoint-mirror.js';
import { transactionsBehind } from './gtid-lag.js';
import { KafkaTransactionalPublisher } from './kafka-transactional-publisher.js';
import { MysqlLeaderLock } from './leader-lock.js';
import { runPreflight } from './preflight.js';
import { batchRecords } from './batch-records.js';
import { defaultTopicRouter, type RelayRecord, type TopicRouter } from './record-router.js';
import { createdAtToMillis, type GtidPosition, type RelayCheckpoint } from './relay-checkpoint.js';
import { ReconnectingConnection } from './reconnecting-connection.js';
import { BinlogPurgedError, HangingTransactionError, InvalidTopicError, KafkaAuthenticationError, KafkaDeadlineError, OutboxRowError, RecordTooLargeError, RelayFencedError, RelayPreflightError } from './relay.errors.js';
import { resolveRelayOptions, type RelayOptions, type ResolvedRelayOptions } from './relay.options.js';
import { RelayStateMachine, type RelayState } from './relay-state.js';
import { TransactionQueue } from './transaction-queue.js';
import type { KafkaWait } from './retry-within-budget.js';
import type { TransactionalPublisher } from './transactional-publisher.js';
import { ZongjiBinlogSource } from './zongji-binlog-source.js';

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

const ERRNO_PURGED = 1236;
const ERRNO_DUPLICATE_SERVER_ID = 4052;

/** A Kafka call that neither resolves nor rejects (kafkajs can hang across a broker restart) is an ambiguous failure. */
function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KafkaDeadlineError(what, ms)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Errors no retry can fix: the relay stops with them (exit code 1 in apps/relay). */
function isFatal(error: unknown): boolean {
  return [BinlogPurgedError, RelayPreflightError, OutboxRowError, InvalidTopicError, KafkaAuthenticationError].some((type) => error instanceof type);
}

const describe = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e));

/**
 * The relay: binlog -> whole source transactions -> Kafka transactions carrying events and the
 * checkpoint. Leader: whoever holds the MySQL named lock; fence: the Kafka transactional id.
 * No Nest here: `RelayModule` wraps it.
 */
export class Relay extends EventEmitter<RelayEventMap> {
  readonly options: ResolvedRelayOptions;
  private readonly sm: RelayStateMachine;
  private readonly router: TopicRouter;
  private stopRequested = false;
  private lockLost = false;
  private waiters: (() => void)[] = [];
  private runPromise: Promise<void> | null = null;
  private checkpoint: RelayCheckpoint | null = null;
  private queue: TransactionQueue | null = null;
  private sourcePaused = false;
  private fatal: Error | null = null;
  private mirror: MysqlCheckpointMirror | null = null;
  private mirrorBusy = false;
  private mirrorPending: RelayCheckpoint | null = null;
  private purgeRisk = false;
  private purgeCheckedAt = 0;
  private purgeWarnedAt = 0;
  /** One connection for the background reads (binlog end for the lag metric, binlog retention). */
  private readonly serverProbe: ReconnectingConnection;
  private lagReading: { at: number; value: Promise<number | null> } | null = null;
  /** Kafka transactions this process committed (batches and checkpoint-only ones). */
  private commits = 0;
  /** When the publish in progress first had to wait for Kafka (null: not waiting). */
  private kafkaWaitingSince: number | null = null;
  private kafkaWaitLoggedAt = 0;
  private settle!: (error: Error | null) => void;
  private readonly ended: Promise<Error | null> = new Promise((resolve) => (this.settle = resolve));

  constructor(options: RelayOptions) {
    super();
    this.options = resolveRelayOptions(options);
    this.router = this.options.topicRouter ?? defaultTopicRouter(this.options.topicPrefix);
    this.sm = new RelayStateMachine((from, to) => this.emit('state', from, to));
    this.serverProbe = new ReconnectingConnection(this.options.mysql);
  }

  get name(): string {
    return this.options.name;
  }
  get state(): RelayState {
    return this.sm.state;
  }
  get transactionalId(): string {
    return `lockstep-relay-${this.options.name}`;
  }
  /** Last checkpoint committed to Kafka by this process (null before the first). */
  get lastCheckpoint(): RelayCheckpoint | null {
    return this.checkpoint;
  }
  get queuedEvents(): number {
    return this.queue?.queuedEvents ?? 0;
  }
  /** Source transactions with events read from the binlog and not yet committed to Kafka. */
  get queuedTransactions(): number {
    return this.queue?.queuedTransactions ?? 0;
  }

  /**
   * Binlog transactions the server committed after this relay's last checkpoint (all of them,
   * with or without outbox rows); null before the first checkpoint. Asks the server at most
   * once a second, on the relay's background connection.
   */
  transactionsBehind(): Promise<number | null> {
    const now = Date.now();
    if (this.lagReading && now - this.lagReading.at < 1_000) return this.lagReading.value;
    const checkpoint = this.checkpoint;
    const value = checkpoint ? this.serverProbe.use(readBinlogEnd).then((end) => transactionsBehind(end, checkpoint.gtidSet)) : Promise.resolve(null);
    this.lagReading = { at: now, value };
    return value;
  }
  /** Seconds the publish in progress has been retrying what Kafka refused; 0 when not waiting. */
  get kafkaWaitingSeconds(): number {
    return this.kafkaWaitingSince === null ? 0 : (Date.now() - this.kafkaWaitingSince) / 1000;
  }
  get isPaused(): boolean {
    return this.sourcePaused;
  }
  /** True when the binlog file holding the checkpoint may be purged soon (see assessPurgeRisk). */
  get binlogPurgeRisk(): boolean {
    return this.purgeRisk;
  }
  /** The fatal error that ended the relay (fenced, purged binlog), if any. */
  get failure(): Error | null {
    return this.fatal;
  }

  /** Checks the server (preflight), then competes for leadership in the background. */
  async start(): Promise<void> {
    if (this.runPromise) throw new Error('relay already started');
    const o = this.options;
    if (o.preflight) {
      try {
        await runPreflight(o.mysql, { database: o.outboxDatabase, table: o.outboxTable, checkpointTable: o.checkpointTable });
      } catch (error) {
        this.fatal = error as Error;
        this.sm.transition('failed');
        this.settle(this.fatal);
        throw error;
      }
    }
    if (!o.transactions) {
      o.logger.warn(`relay ${o.name}: Kafka transactions are OFF (LOCKSTEP_RELAY_TRANSACTIONS=off): delivery is AT-LEAST-ONCE, a crash re-publishes the last batch`);
    }
    if (o.checkpointTable) {
      this.mirror = new MysqlCheckpointMirror({ connection: o.mysql, database: o.outboxDatabase, table: o.checkpointTable, relayName: o.name });
    }
    this.runPromise = this.run();
  }

  /** Resolves when the relay has stopped; rejects with the fatal error (e.g. RelayFencedError) if it died. */
  async closed(): Promise<void> {
    const fatal = await this.ended;
    if (fatal) throw fatal;
  }

  /** Graceful: lets the Kafka transaction in flight finish, stops the binlog, releases the lock. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.notify();
    await this.runPromise?.catch(() => undefined);
    if (this.sm.can('stopping')) this.sm.transition('stopping');
    if (this.sm.can('stopped')) this.sm.transition('stopped');
    this.settle(this.fatal);
    await this.mirror?.close();
    await this.serverProbe.close();
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  private async run(): Promise<void> {
    const o = this.options;
    try {
      while (!this.stopRequested) {
        this.sm.transition('standby');
        this.lockLost = false;
        const lock = new MysqlLeaderLock({
          connection: o.mysql,
          lockName: `lockstep-relay:${o.name}`,
          pingIntervalMs: o.lockPingMs,
          onLost: (cause) => {
            this.lockLost = true;
            this.emit('warning', 'LOCK_LOST', `leader lock connection lost (${describe(cause)}); stopping publishing`);
            o.logger.warn(`relay ${o.name}: leader lock lost (${describe(cause)}); stopping publishing`);
            this.notify();
          },
        });
        o.logger.log(`relay ${o.name}: waiting for leader lock`);
        if (!(await lock.acquire(() => this.stopRequested))) break;
        o.logger.log(`relay ${o.name}: leader lock acquired`);
        try {
          await this.lead();
        } finally {
          await lock.release();
        }
      }
    } catch (error) {
      this.fatal = error as Error;
      o.logger.error(`relay ${o.name}: ${(error as Error).message}`);
    } finally {
      if (this.sm.can('stopping')) this.sm.transition('stopping');
      this.sm.transition('stopped');
      this.settle(this.fatal);
    }
  }

  /** Leader loop: one publishing session after another until stop, lock loss or a fatal error. */
  private async lead(): Promise<void> {
    const o = this.options;
    let backoffMs = 250;
    while (!this.stopRequested && !this.lockLost) {
      this.sm.transition('starting');
      const publisher = o.createPublisher?.() ?? this.createPublisher();
      const commitsBefore = this.commits;
      try {
        const deadline = o.transactionTimeoutMs + 30_000;
        await withDeadline(publisher.connect(), deadline, 'connecting the producer');
        const checkpoint = await withDeadline(publisher.readCheckpoint(), deadline + o.openTransactionGraceMs, 'reading the checkpoint topic');
        await this.stream(publisher, checkpoint);
      } catch (error) {
        if (error instanceof RelayFencedError) {
          this.sm.transition('fenced');
          throw error;
        }
        if (isFatal(error)) {
          this.sm.transition('failed');
          throw error;
        }
        // Ambiguous (e.g. a commit that timed out): never assume it committed. The next
        // session's producer aborts or completes it, and we re-read the checkpoint.
        this.sm.transition('recovering');
        // A session that committed something was healthy: the next failure (a broker bounce) backs off afresh.
        if (this.commits > commitsBefore) backoffMs = 250;
        if (error instanceof RecordTooLargeError || error instanceof HangingTransactionError) {
          // Not transient, but fixable without a restart (raise the topic limit, abort the hanging
          // transaction): keep retrying, loudly, so the relay goes on by itself once it is fixed.
          this.emit('warning', error instanceof RecordTooLargeError ? 'RECORD_TOO_LARGE' : 'HANGING_TRANSACTION', error.message);
          o.logger.error(`relay ${o.name}: ${error.message}`);
        } else {
          this.emit('warning', 'RECOVERING', describe(error));
        }
        o.logger.warn(`relay ${o.name}: ${describe(error)}; resuming from the last committed checkpoint in ${backoffMs} ms`);
        await this.wait(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 10_000);
      } finally {
        await withDeadline(publisher.close(), 10_000, 'closing the producer').catch(() => undefined);
      }
    }
  }

  /**
   * Shorter than the transaction timeout, so a hung call is abandoned before the broker aborts it
   * anyway; long enough for Kafka to move a lost broker's partitions (broker.session.timeout.ms,
   * 9 s by default) while the publisher retries within its budget (5 s less than this).
   */
  private get publishDeadlineMs(): number {
    return Math.max(10_000, this.options.transactionTimeoutMs - 5_000);
  }

  /** Reports a wait on Kafka: every retry to listeners and metrics, a log line after 1 s and then every 5 s. */
  private onKafkaWait(wait: KafkaWait): void {
    this.kafkaWaitingSince ??= Date.now() - wait.waitedMs;
    this.emit('kafkaWait', wait);
    const now = Date.now();
    if (wait.waitedMs < 1_000 || now - this.kafkaWaitLoggedAt < 5_000) return;
    this.kafkaWaitLoggedAt = now;
    const message = `waiting for Kafka: ${wait.operation} refused with ${wait.reason} (attempt ${wait.attempt}, ${(wait.waitedMs / 1000).toFixed(1)} s of ${(wait.budgetMs / 1000).toFixed(0)} s)`;
    this.emit('warning', 'KAFKA_WAITING', message);
    this.options.logger.warn(`relay ${this.options.name}: ${message}; retrying`);
  }

  private createPublisher(): TransactionalPublisher {
    const o = this.options;
    return new KafkaTransactionalPublisher({
      connection: o.kafka,
      relayName: o.name,
      transactionalId: this.transactionalId,
      checkpointTopic: o.checkpointTopic,
      topicPartitions: o.topicPartitions,
      transactionTimeoutMs: o.transactionTimeoutMs,
      maxRequestBytes: 900 * 1024,
      transactions: o.transactions,
      checkpointReadTimeoutMs: Math.max(30_000, o.transactionTimeoutMs + 10_000),
      openTransactionGraceMs: o.openTransactionGraceMs,
      retryBudgetMs: this.publishDeadlineMs - 5_000,
      onWait: (wait) => this.onKafkaWait(wait),
    });
  }

  private createSource(): BinlogSource {
    const o = this.options;
    return (
      o.createBinlogSource?.() ??
      new ZongjiBinlogSource({ connection: o.mysql, serverId: o.serverId, database: o.outboxDatabase, table: o.outboxTable, heartbeatMs: o.heartbeatMs })
    );
  }

  private async startPosition(checkpoint: RelayCheckpoint | null): Promise<{ from: GtidPosition; announce: boolean }> {
    const o = this.options;
    if (o.startFrom === 'now') {
      const from = await currentGtidPosition(o.mysql);
      o.logger.warn(
        `relay ${o.name}: GAP: starting at the binlog's end (${from}) as LOCKSTEP_RELAY_START_FROM=now asks; ` +
          `events committed after checkpoint ${checkpoint?.gtidSet ?? '(none)'} and before it are NOT published`,
      );
      this.emit('warning', 'GAP', `started from now (${from}), skipping after ${checkpoint?.gtidSet ?? '(none)'}`);
      return { from, announce: true };
    }
    if (checkpoint) return { from: checkpoint.gtidSet, announce: false };
    const initial = o.initialPosition;
    if (initial === 'earliest') return { from: '' as GtidPosition, announce: true };
    if (initial === 'current') return { from: await currentGtidPosition(o.mysql), announce: true };
    return { from: initial.gtidSet as GtidPosition, announce: true };
  }

  /** One publishing session with one producer: reads the binlog from the checkpoint and publishes until told to stop. */
  private async stream(publisher: TransactionalPublisher, checkpoint: RelayCheckpoint | null): Promise<void> {
    const o = this.options;
    const { from, announce } = await this.startPosition(checkpoint);
    let committed: RelayCheckpoint = checkpoint ?? {
      gtidSet: from,
      binlogFile: null,
      binlogPosition: null,
      lastEventId: null,
      lastEventCreatedAt: null,
      eventsPublished: 0,
      at: new Date().toISOString(),
    };
    if (announce) {
      // Record the starting point at once, so a crash before the first event cannot move it
      // (with 'current', a restart would otherwise skip what was written in between).
      committed = { ...committed, gtidSet: from, at: new Date().toISOString() };
      await this.publishOnce(publisher, [], committed, 'committing the start position');
    }
    this.checkpoint = committed;

    const queue = new TransactionQueue();
    this.queue = queue;
    let source: BinlogSource | null = null;
    let sourceError: (Error & { errno?: number }) | null = null;
    const low = Math.floor(o.maxQueuedEvents / 2);

    const openSource = async (position: GtidPosition): Promise<void> => {
      queue.clear();
      sourceError = null;
      this.sourcePaused = false;
      const s = this.createSource();
      source = s;
      try {
        await s.start(position, {
          onTransaction: (tx) => {
            if (source !== s) return;
            queue.push(tx);
            if (!this.sourcePaused && queue.queuedEvents > o.maxQueuedEvents) {
              this.sourcePaused = true;
              s.pause();
              this.emit('paused', true);
            }
            this.notify();
          },
          onError: (error) => {
            if (source !== s) return;
            sourceError = error;
            this.notify();
          },
        });
      } catch (error) {
        sourceError = error as Error & { errno?: number };
      }
    };

    try {
      await openSource(committed.gtidSet);
      if (!sourceError) this.sm.transition('publishing');
      let lastCommitAt = Date.now();
      let binlogBackoffMs = 100;
      while (!this.stopRequested && !this.lockLost) {
        const failure = sourceError as (Error & { errno?: number }) | null;
        if (failure) {
          if (failure.errno === ERRNO_PURGED) throw new BinlogPurgedError(o.name, committed.gtidSet, failure);
          if (failure instanceof OutboxRowError) throw failure;
          const hint = failure.errno === ERRNO_DUPLICATE_SERVER_ID ? ` (another binlog reader uses server id ${o.serverId}; set LOCKSTEP_RELAY_SERVER_ID)` : '';
          this.emit('warning', 'BINLOG_RESTART', `${describe(failure)}${hint}`);
          o.logger.warn(`relay ${o.name}: binlog stream failed: ${describe(failure)}${hint}; resuming from ${committed.gtidSet || '(start)'}`);
          await (source as BinlogSource | null)?.stop();
          await this.wait(binlogBackoffMs);
          binlogBackoffMs = Math.min(binlogBackoffMs * 2, 5_000);
          if (this.stopRequested || this.lockLost) break;
          if (this.sm.state === 'publishing') this.sm.transition('recovering');
          if (this.sm.state === 'recovering') this.sm.transition('starting');
          await openSource(committed.gtidSet);
          if (!sourceError) this.sm.transition('publishing');
          continue;
        }

        this.checkPurgeRisk(committed);
        const batch = queue.take(o.maxBatchEvents, o.maxBatchBytes);
        if (this.sourcePaused && queue.queuedEvents <= low) {
          this.sourcePaused = false;
          (source as BinlogSource | null)?.resume();
          this.emit('paused', false);
        }
        if (!batch) {
          const latest = queue.latestPosition;
          if (latest && latest.gtidSet !== committed.gtidSet && Date.now() - lastCommitAt >= o.idleCheckpointMs) {
            // Only row-less transactions went by: move the checkpoint so a restart need not re-read them.
            const next: RelayCheckpoint = { ...committed, gtidSet: latest.gtidSet, binlogFile: latest.binlogFile, binlogPosition: latest.binlogPosition, at: new Date().toISOString() };
            await this.publishOnce(publisher, [], next, 'committing a checkpoint');
            committed = next;
            this.checkpoint = next;
            this.commits += 1;
            lastCommitAt = Date.now();
            this.mirrorCheckpoint(next);
            continue;
          }
          await this.wait(Math.min(1_000, o.idleCheckpointMs));
          continue;
        }
        binlogBackoffMs = 100;

        const { publishable, records, refused } = batchRecords(batch, this.router);
        if (!publishable) throw refused!;
        await withDeadline(publisher.ensureTopics(records.map((r) => r.topic)), this.publishDeadlineMs, 'creating topics');
        const lastTx = publishable.transactions[publishable.transactions.length - 1]!;
        const lastRow = lastTx.rows[lastTx.rows.length - 1]!;
        const next: RelayCheckpoint = {
          gtidSet: publishable.position.gtidSet,
          binlogFile: publishable.position.binlogFile,
          binlogPosition: publishable.position.binlogPosition,
          lastEventId: uuidToString(lastRow.id),
          lastEventCreatedAt: lastRow.createdAt,
          eventsPublished: committed.eventsPublished + publishable.events,
          at: new Date().toISOString(),
        };
        const t0 = performance.now();
        await this.publishOnce(publisher, records, next, 'publishing a batch');
        const commitMs = performance.now() - t0;
        committed = next;
        this.checkpoint = next;
        this.commits += 1;
        lastCommitAt = Date.now();
        this.emit('batch', { events: publishable.events, transactions: publishable.transactions.length, bytes: publishable.bytes, commitMs, checkpoint: next });
        this.mirrorCheckpoint(next);
        if (refused) throw refused;
      }
    } finally {
      this.queue = null;
      const s = source as BinlogSource | null;
      source = null;
      await s?.stop();
      if (!this.stopRequested && this.lockLost && this.sm.can('standby')) this.sm.transition('standby');
    }
  }

  /** One Kafka transaction under the publish deadline; the wait gauge is cleared whatever its outcome. */
  private async publishOnce(publisher: TransactionalPublisher, records: RelayRecord[], checkpoint: RelayCheckpoint, what: string): Promise<void> {
    try {
      await withDeadline(publisher.publish(records, checkpoint), this.publishDeadlineMs, what);
    } finally {
      this.kafkaWaitingSince = null;
    }
  }

  /** At most once a minute, in the background: warn (log + metric) before the server purges the checkpoint's binlog. */
  private checkPurgeRisk(c: RelayCheckpoint): void {
    const now = Date.now();
    if (now - this.purgeCheckedAt < 60_000) return;
    this.purgeCheckedAt = now;
    const age = c.lastEventCreatedAt ? (now - createdAtToMillis(c.lastEventCreatedAt)) / 1000 : null;
    this.serverProbe.use(readBinlogRetention).then(
      (facts) => {
        const risk = assessPurgeRisk(facts, c.binlogFile, age);
        this.purgeRisk = risk.atRisk;
        if (risk.atRisk && Date.now() - this.purgeWarnedAt > 600_000) {
          this.purgeWarnedAt = Date.now();
          this.emit('warning', 'PURGE_RISK', risk.message);
          this.options.logger.warn(`relay ${this.options.name}: PURGE RISK: ${risk.message}; raise binlog_expire_logs_seconds / expire_logs_days or fix the relay's lag`);
        }
      },
      () => undefined, // informational only
    );
  }

  /** Fire-and-forget, newest wins: the mirror must never slow down or block publishing. */
  private mirrorCheckpoint(c: RelayCheckpoint): void {
    if (!this.mirror) return;
    this.mirrorPending = c;
    if (this.mirrorBusy) return;
    this.mirrorBusy = true;
    void (async () => {
      while (this.mirrorPending && this.mirror) {
        const next = this.mirrorPending;
        this.mirrorPending = null;
        try {
          await this.mirror.write(next);
        } catch (error) {
          this.emit('warning', 'MIRROR_FAILED', describe(error));
        }
      }
      this.mirrorBusy = false;
    })();
  }
}
