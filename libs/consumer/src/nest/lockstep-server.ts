import { Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { context as otelContext, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { register as globalRegistry, type Registry } from 'prom-client';
import { lastValueFrom } from 'rxjs';
import type { EntityManager } from 'typeorm';
import { LockstepHeader } from '@lockstep/core';
import { OutboxContext } from '@lockstep/outbox';
import { ConsumerConfigError } from '../core/consumer.errors.js';
import { consumerTables } from '../core/consumer-tables.js';
import { createKafka } from '../adapters/kafkajs/kafka-client.js';
import { KafkajsDeadLetterSink } from '../adapters/kafkajs/kafkajs-dead-letter-sink.js';
import { KafkajsRecordSource } from '../adapters/kafkajs/kafkajs-record-source.js';
import { ConsumerStore } from '../adapters/mysql/consumer-store.js';
import { ConsumerMetrics } from '../adapters/prometheus/consumer.metrics.js';
import type { DeadLetterSink } from '../ports/dead-letter-sink.port.js';
import type { HandlerInvoker } from '../ports/handler-invoker.port.js';
import type { RecordSource } from '../ports/record-source.port.js';
import { PartitionProcessor, type StalledPartition } from '../processing/partition-processor.js';
import { LockstepContext } from './lockstep-context.js';
import type { LockstepHandlerBinding } from './lockstep-handler.decorator.js';
import type { LockstepServerOptions } from './lockstep-server.options.js';
import { LOCKSTEP_HANDLER_EXTRAS, LOCKSTEP_TRANSPORT } from './lockstep.constants.js';

/** `connecting` (also while waiting for topics) → `connected` → `closing` → `disconnected`. */
export type LockstepServerStatus = 'disconnected' | 'connecting' | 'connected' | 'closing';
type Status = LockstepServerStatus;

/** What `LockstepServer#health()` reports; the terminus indicator turns it into up/down. */
export interface LockstepConsumerHealth {
  /** Connected, the Kafka consumer running, and no partition stalled. */
  healthy: boolean;
  status: LockstepServerStatus;
  /** Why it is not healthy (absent when healthy). */
  reason?: string;
  /** Partitions whose batch made no progress for `stallAfterMs`. */
  stalledPartitions: StalledPartition[];
}

/** Seams for tests of the transport itself; production code passes none. */
export interface LockstepServerSeams {
  source?: RecordSource;
  deadLetterSink?: DeadLetterSink;
}

/**
 * Nest microservice transport that applies Lockstep events to MySQL exactly once.
 *
 * Usually built by `LockstepConsumerModule` (`app.get(LockstepServer)`); by hand:
 *
 * ```ts
 * app.connectMicroservice({ strategy: new LockstepServer({ consumerName: 'order-view',
 *   dataSource: app.get(DataSource), topics: ['lockstep.order'], kafka: { brokers: ['127.0.0.1:9092'], ssl: false } }) });
 * await app.startAllMicroservices();
 * ```
 *
 * Unlike the base `Server#handleEvent`, every handler's Observable/Promise is awaited to the
 * end inside the event's MySQL transaction before anything is committed.
 */
export class LockstepServer extends Server<Record<string, never>, Status> implements CustomTransportStrategy {
  override transportId = LOCKSTEP_TRANSPORT;
  // Handler failures reach this transport (retries, dead letters), so Nest need not report them.
  override readonly propagatesEventHandlerErrors = true;
  protected override readonly logger = new Logger(LockstepServer.name);

  private readonly bindings = new Map<string, { handler: MessageHandler; binding: LockstepHandlerBinding }>();
  private readonly store: ConsumerStore;
  private readonly metrics: ConsumerMetrics;
  private source: RecordSource | undefined;
  private sink: DeadLetterSink | undefined;
  private processor: PartitionProcessor | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private readonly groupId: string;
  /** prom-client registry holding this consumer's metrics (served by the module at `metricsPath`). */
  readonly registry: Registry;

  constructor(
    private readonly options: LockstepServerOptions,
    private readonly seams: LockstepServerSeams = {},
  ) {
    super();
    if (!options.consumerName || options.consumerName.length > 191) {
      throw new ConsumerConfigError('consumerName must be 1..191 characters', 'pass a short, stable name such as "order-view"');
    }
    if (!options.topics?.length) {
      throw new ConsumerConfigError('no topics to consume', "pass topics: ['lockstep.<aggregate>']");
    }
    if (!options.dataSource) {
      throw new ConsumerConfigError('no dataSource', 'pass the TypeORM DataSource of the read model (app.get(DataSource))');
    }
    if (!options.kafka?.brokers?.length) {
      throw new ConsumerConfigError(
        'no Kafka brokers',
        "pass kafka: { brokers: ['host:9092'], ssl: false } (kafkaConnectionFromEnv(process.env) reads LOCKSTEP_KAFKA_*)",
      );
    }
    this.groupId = options.groupId ?? options.consumerName;
    this.registry = options.registry ?? globalRegistry;
    this.metrics = new ConsumerMetrics(this.registry);
    this.store = new ConsumerStore(options.dataSource, options.consumerName, this.groupId, consumerTables(options.tables));
    this.setStatus('disconnected');
  }

  private currentStatus: Status = 'disconnected';
  /** What start-up is waiting for (a missing topic), for `health()`. */
  private waitingFor: string | undefined;

  /** `connecting` → `connected` → `closing` → `disconnected`; for health endpoints. */
  get state(): Status {
    return this.currentStatus;
  }

  private setStatus(status: Status): void {
    this.currentStatus = status;
    this._status$.next(status);
  }

  /** Connected and running, no partition stalled (see `stallAfterMs`): for health checks. */
  health(now = Date.now()): LockstepConsumerHealth {
    const status = this.currentStatus;
    if (status !== 'connected') {
      return { healthy: false, status, reason: this.waitingFor ?? `the consumer is ${status}`, stalledPartitions: [] };
    }
    if (this.source?.isRunning?.() === false) {
      return {
        healthy: false,
        status,
        reason: 'the Kafka consumer stopped after an error it does not restart from',
        stalledPartitions: [],
      };
    }
    const stalledPartitions = this.processor?.stalledPartitions(this.options.stallAfterMs ?? 60_000, now) ?? [];
    if (stalledPartitions.length > 0) {
      const list = stalledPartitions
        .map((p) => `${p.topic}[${p.partition}] for ${Math.round(p.stalledForMs / 1000)} s`)
        .join(', ');
      return { healthy: false, status, reason: `no progress on ${list}`, stalledPartitions };
    }
    return { healthy: true, status, stalledPartitions };
  }

  /** Called by Nest for each `@LockstepHandler()` method (through `EventPattern`). */
  override addHandler(
    pattern: unknown,
    callback: MessageHandler,
    isEventHandler = false,
    extras: Record<string, unknown> = {},
  ): void {
    super.addHandler(pattern, callback, isEventHandler, extras);
    const binding = extras[LOCKSTEP_HANDLER_EXTRAS] as LockstepHandlerBinding | undefined;
    if (!binding) {
      this.logger.warn(`ignoring handler for ${String(pattern)}: use @LockstepHandler(EventClass) on Lockstep handlers`);
      return;
    }
    const type = binding.eventType;
    this.logger.log(`${binding.className}.${binding.methodName} {${binding.eventClass.name}} -> ${type}`);
    // Several methods on one type: Nest chains them behind the first (`handler.next`) and runs
    // them all from the first one, inside the same transaction.
    if (!this.bindings.has(type)) this.bindings.set(type, { handler: callback, binding });
  }

  async listen(callback: (error?: unknown, ...info: unknown[]) => void): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  private async start(): Promise<void> {
    const o = this.options;
    if (!o.dataSource.isInitialized) {
      throw new ConsumerConfigError(
        'the DataSource is not initialised',
        'await dataSource.initialize() (TypeOrmModule does it for you) before starting the microservice',
      );
    }
    const missing = await this.store.missingTables();
    if (missing.length > 0) {
      throw new ConsumerConfigError(
        `consumer tables missing: ${missing.join(', ')}`,
        'run the Lockstep migrations on the read-model database: `npx lockstep migrate --only consumer`, or add consumerMigrations (from @lockstep/consumer) to your TypeORM migrations',
      );
    }
    this.setStatus('connecting');
    const kafka = createKafka(o.kafka, o.clientId ?? `lockstep-consumer-${o.consumerName}`);
    const sink = this.seams.deadLetterSink ?? new KafkajsDeadLetterSink(kafka);
    const source =
      this.seams.source ??
      new KafkajsRecordSource(kafka, {
        groupId: this.groupId,
        topics: o.topics,
        fromBeginning: o.fromBeginning ?? true,
        partitionsConcurrency: o.partitionsConcurrency ?? 3,
        sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000,
        heartbeatIntervalMs: o.heartbeatIntervalMs ?? 1_000,
        topicWaitMs: o.topicWaitMs ?? 300_000,
        log: (message) => {
          this.waitingFor = message;
          this.logger.log(message);
        },
      });
    this.sink = sink;
    this.source = source;
    const processor = new PartitionProcessor({
      store: this.store,
      sink,
      metrics: this.metrics,
      settings: {
        consumer: o.consumerName,
        mode: o.mode ?? 'event',
        maxBatchEvents: o.maxBatchEvents ?? 500,
        maxPayloadBytes: o.maxPayloadBytes ?? 1024 * 1024,
        maxAttempts: Math.max(1, o.maxAttempts ?? 5),
        backoff: o.backoff ?? {},
        unknownEventType: o.unknownEventType ?? 'skip',
        onDeadLetter: o.onDeadLetter ?? 'park-key',
        deadLetterTopic: o.deadLetterTopic ?? ((topic) => `${topic}.dlq`),
      },
      classFor: (type) => this.bindings.get(type)?.binding.eventClass,
      invoke: this.invoker(),
      logger: this.logger,
    });
    this.processor = processor;
    source.onAssignment((assigned) => {
      processor.forgetPartitions();
      const list = Object.entries(assigned).map(
        ([topic, partitions]) => `${topic}[${[...partitions].sort((a, b) => a - b).join(',')}]`,
      );
      this.logger.log(`group ${this.groupId}: assigned ${list.length > 0 ? list.join(' ') : 'no partitions'}`);
    });
    try {
      await source.start((batch) => processor.processBatch(batch));
    } catch (error) {
      // Nothing keeps running after a failed start (e.g. the topic never appeared).
      await source.stop().catch(() => undefined);
      await sink.close().catch(() => undefined);
      if (this.source === source) this.source = undefined;
      if (this.sink === sink) this.sink = undefined;
      this.setStatus('disconnected');
      throw error;
    } finally {
      this.waitingFor = undefined;
    }
    // close() during the start (e.g. while waiting for a topic): stay closed.
    if (this.currentStatus !== 'connecting' || this.source !== source) return;
    const days = o.inboxRetentionDays ?? 7;
    if (days > 0) {
      this.retentionTimer = setInterval(() => void this.pruneInbox(days), o.inboxRetentionIntervalMs ?? 3_600_000);
      this.retentionTimer.unref();
    }
    this.setStatus('connected');
    this.logger.log(
      `consumer ${o.consumerName} (group ${this.groupId}) reading ${o.topics.join(', ')} in ${o.mode ?? 'event'} mode`,
    );
  }

  /** Deletes this consumer's inbox rows older than `days` (default: the configured retention). */
  async pruneInbox(days = this.options.inboxRetentionDays ?? 7): Promise<number> {
    try {
      const n = await this.store.pruneInbox(days);
      if (n > 0) this.logger.log(`pruned ${n} inbox rows older than ${days} days`);
      return n;
    } catch (error) {
      this.logger.warn(`inbox pruning failed: ${(error as Error).message}`);
      return 0;
    }
  }

  /** Runs the handlers of one event: validated instance + context, in the event's trace
   * context and outbox context, awaiting the whole Observable. */
  private invoker(): HandlerInvoker {
    return async (decoded, manager: EntityManager, attempt) => {
      const e = decoded.envelope;
      const entry = this.bindings.get(e.eventType);
      if (!entry) throw new Error(`no handler for ${e.eventType}`); // decode already checked
      const r = e.record;
      const ctx = new LockstepContext(
        {
          eventId: e.eventId,
          eventType: e.eventType,
          aggregateId: e.aggregateId,
          key: e.key,
          headers: Object.freeze({ ...r.headers }),
          topic: r.topic,
          partition: r.partition,
          offset: r.offset,
          occurredAt: e.occurredAt,
          attempt,
        },
        manager,
      );
      const traceContext = propagation.extract(ROOT_CONTEXT, r.headers);
      const run = async (): Promise<void> => {
        const result: unknown = await entry.handler(decoded.event, ctx);
        await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
      };
      await otelContext.with(traceContext, () =>
        OutboxContext.run(
          {
            causationId: e.eventId,
            correlationId: r.headers[LockstepHeader.correlationId] ?? e.eventId,
            traceparent: r.headers[LockstepHeader.traceparent],
            tracestate: r.headers[LockstepHeader.tracestate],
          },
          run,
        ),
      );
    };
  }

  /** Stops fetching, lets in-flight events finish and commit, leaves the group. */
  async close(): Promise<void> {
    this.setStatus('closing');
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.retentionTimer = undefined;
    try {
      await this.source?.stop();
    } catch (error) {
      this.logger.warn(`stopping the Kafka consumer: ${(error as Error).message}`);
    }
    await this.sink?.close().catch(() => undefined);
    this.source = undefined;
    this.sink = undefined;
    this.setStatus('disconnected');
  }

  on(): never {
    throw new Error('LockstepServer has no events to listen to; use @LockstepHandler() methods');
  }

  unwrap<T>(): T {
    if (!this.processor) throw new Error('LockstepServer is not listening yet');
    return this.processor as T;
  }
}
