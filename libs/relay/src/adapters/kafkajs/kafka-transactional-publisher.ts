import { randomBytes } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type Admin, type Message, type PartitionMetadata, type Producer } from 'kafkajs';
import { LockstepHeader, kafkajsConfig, type KafkaConnectionOptions } from '@lockstep/core';
import { decodeCheckpoint, encodeCheckpoint, type RelayCheckpoint } from '../../core/relay-checkpoint.js';
import { chunkByBytes, partitionLanes, recordBytes, type PartitionLane } from '../../core/partition-lanes.js';
import {
  HangingTransactionError,
  KafkaAuthenticationError,
  RecordTooLargeError,
  RelayFencedError,
} from '../../core/relay.errors.js';
import type { RelayRecord } from '../../core/record-router.js';
import { retryWithinBudget, type KafkaWait } from '../../core/retry-within-budget.js';
import type { TransactionalPublisher } from '../../ports/transactional-publisher.js';
import {
  isAuthenticationError,
  isFencingError,
  isRetriableKafkaError,
  isTooLargeError,
  kafkaErrorReason,
} from './kafkajs-errors.js';

export interface KafkaTransactionalPublisherOptions {
  connection: KafkaConnectionOptions;
  relayName: string;
  transactionalId: string;
  checkpointTopic: string;
  topicPartitions: number;
  /** Broker aborts a transaction open longer than this. */
  transactionTimeoutMs: number;
  /** Upper bound on one produce request, kept below the broker's message.max.bytes (1 MiB by default). */
  maxRequestBytes: number;
  /** How long reading the checkpoint to the end may take. */
  checkpointReadTimeoutMs: number;
  /** How long an open transaction may keep the checkpoint partition from being read to its end (HangingTransactionError after). */
  openTransactionGraceMs?: number;
  /** false: idempotent producer, events then checkpoint, no Kafka transaction (at-least-once). Default true. */
  transactions?: boolean;
  /**
   * How long one publish may keep retrying what Kafka refuses for now (leader moving, a broker
   * down or frozen, not enough in-sync replicas, CONCURRENT_TRANSACTIONS) before it gives up with
   * KafkaUnavailableError. Keep it below the transaction timeout. Default transactionTimeoutMs - 15000 (at least 5000).
   */
  retryBudgetMs?: number;
  /** Called on every retry of a refused request: what is waited for, and for how long so far. */
  onWait?: (wait: KafkaWait) => void;
}

/**
 * One quick retry inside kafkajs (it refuses fewer for an idempotent producer); longer waits are
 * ours (retryWithinBudget), per partition, reported, and bounded by the transaction timeout.
 */
const IN_CLIENT_RETRY = { retries: 1, initialRetryTime: 10, maxRetryTime: 10 };

/**
 * A transaction begun right after a commit gets CONCURRENT_TRANSACTIONS until the coordinator has
 * written the previous one's markers (milliseconds): retried every 10 ms, not backed off, or each
 * back-to-back transaction would wait for the back-off rather than for Kafka (librdkafka does the same, at 20 ms).
 */
const SHORT_LIVED = new Set(['CONCURRENT_TRANSACTIONS']);

/** TransactionalPublisher over kafkajs: the only file that knows kafkajs exists (besides tests). */
export class KafkaTransactionalPublisher implements TransactionalPublisher {
  private readonly kafka: Kafka;
  private producer: Producer | null = null;
  private admin: Admin | null = null;
  /** Partitions of each topic this publisher made sure of (known topics need no admin call). */
  private readonly partitions = new Map<string, PartitionMetadata[]>();
  /** kafkajs' own default partitioner (murmur2, as the Java client): keys land where they always did. */
  private readonly partitioner = Partitioners.DefaultPartitioner();

  constructor(private readonly options: KafkaTransactionalPublisherOptions) {
    this.kafka = new Kafka(
      kafkajsConfig(options.connection, `lockstep-relay-${options.relayName}`, {
        // kafkajs logs expected retries (CONCURRENT_TRANSACTIONS, coordinator moves) at ERROR;
        // the relay reports what matters through its own events instead.
        logLevel: logLevel.NOTHING,
        connectionTimeout: 5_000,
        requestTimeout: 15_000,
        // A transaction begun right after a commit gets CONCURRENT_TRANSACTIONS until the broker
        // has written the markers; kafkajs waits initialRetryTime before retrying. 10 ms (not 50,
        // nor kafkajs' 300) keeps live p99 low: measured in bench/ (back-to-back transactions).
        retry: { initialRetryTime: 10, maxRetryTime: 2_000, retries: 8 },
      }),
    );
  }

  async connect(): Promise<void> {
    this.admin = this.kafka.admin();
    try {
      await this.admin.connect();
    } catch (error) {
      throw isAuthenticationError(error) ? new KafkaAuthenticationError(error) : error;
    }
    await this.ensureCheckpointTopic();
    if (this.options.transactions === false) {
      const idempotentProducer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        retry: IN_CLIENT_RETRY,
      });
      this.producer = idempotentProducer;
      await this.beforePublishing('connect the producer (InitProducerId)', () => idempotentProducer.connect());
      return;
    }
    this.producer = this.kafka.producer({
      transactionalId: this.options.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.options.transactionTimeoutMs,
      allowAutoTopicCreation: false,
      retry: IN_CLIENT_RETRY,
    });
    try {
      const transactional = this.producer;
      // kafkajs' connect() already sends an (idempotent, non-transactional) InitProducerId, to the broker it takes for the controller.
      await this.beforePublishing('connect the producer (InitProducerId)', () => transactional.connect());
      // kafkajs claims the transactional id lazily, at the first transaction(). Claim it now,
      // before the checkpoint is read: InitProducerId bumps the epoch (fencing any older producer
      // with our id) and makes the coordinator finish that producer's open transaction, so the
      // read below neither waits for it to time out nor races a commit still in progress.
      // Aborting a transaction with nothing in it sends nothing to the broker.
      // The coordinator answers CONCURRENT_TRANSACTIONS while it finishes that transaction, and
      // may be moving after a broker's loss: retried within the budget like a produce (kafkajs'
      // own retries give up after ~2 s). A failed InitProducerId leaves nothing to undo.
      const producer = this.producer;
      const claim = await this.retried('claim the transactional id (InitProducerId)', Date.now() + this.retryBudgetMs, () =>
        producer.transaction(),
      );
      await claim.abort();
    } catch (error) {
      throw isFencingError(error) ? new RelayFencedError(this.options.relayName, error) : error;
    }
  }

  private async ensureCheckpointTopic(): Promise<void> {
    const admin = this.requireAdmin();
    await this.beforePublishing('create the checkpoint topic', () =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: this.options.checkpointTopic,
            numPartitions: 1,
            configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
          },
        ],
      }),
    );
    await this.learnPartitions([this.options.checkpointTopic]);
  }

  /** Reads and remembers the partition count of each topic (for our own partitioning, see partitionLanes). */
  private async learnPartitions(topics: string[]): Promise<void> {
    const admin = this.requireAdmin();
    const metadata = await this.beforePublishing(`read the metadata of ${topics.join(', ')}`, () =>
      admin.fetchTopicMetadata({ topics }),
    );
    for (const t of metadata.topics) this.partitions.set(t.name, t.partitions);
  }

  /**
   * The last committed checkpoint of this relay name. Read in read_committed mode to the last stable
   * offset; records beyond it belong to an open transaction, which is waited for: after our
   * InitProducerId none of ours may be open, so one that stays open past the grace period is a
   * transaction whose markers Kafka lost, and reading around it would resume too early.
   */
  async readCheckpoint(): Promise<RelayCheckpoint | null> {
    const first = await this.readCommittedCheckpoint();
    // Everything on the partition when we started must be resolved; transactions begun since
    // (another relay sharing the topic) need not be.
    const target = first.highWatermark;
    if (target <= first.lastStableOffset) return first.checkpoint;
    const graceMs = this.options.openTransactionGraceMs ?? this.options.transactionTimeoutMs + 15_000;
    const started = Date.now();
    let lastStableOffset = first.lastStableOffset;
    while (lastStableOffset < target) {
      const waited = Date.now() - started;
      if (waited > graceMs)
        throw new HangingTransactionError(this.options.checkpointTopic, 0, String(lastStableOffset), String(target), waited);
      await new Promise((resolve) => setTimeout(resolve, 500)); // poll interval of a bounded wait
      lastStableOffset = (await this.checkpointOffsets()).lastStableOffset;
    }
    return (await this.readCommittedCheckpoint()).checkpoint;
  }

  /** The checkpoint partition's first offset and last stable offset (kafkajs' admin lists offsets read_committed: `high` is the LSO). */
  private async checkpointOffsets(): Promise<{ logStartOffset: bigint; lastStableOffset: bigint }> {
    const admin = this.requireAdmin();
    const [p] = await this.beforePublishing('read the checkpoint partition offsets', () =>
      admin.fetchTopicOffsets(this.options.checkpointTopic),
    );
    return { logStartOffset: BigInt(p?.low ?? '0'), lastStableOffset: BigInt(p?.high ?? '0') };
  }

  /** One read_committed pass over the checkpoint partition up to its last stable offset. */
  private async readCommittedCheckpoint(): Promise<{
    checkpoint: RelayCheckpoint | null;
    lastStableOffset: bigint;
    highWatermark: bigint;
  }> {
    const topic = this.options.checkpointTopic;
    const { logStartOffset: start, lastStableOffset: end } = await this.checkpointOffsets();
    // Nothing committed yet. (A lost first transaction on an empty partition is not detected here.)
    if (end <= start) return { checkpoint: null, lastStableOffset: end, highWatermark: end };
    const consumer = this.kafka.consumer({
      groupId: `lockstep-relay-${this.options.relayName}-checkpoint-${randomBytes(4).toString('hex')}`,
      readUncommitted: false,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    });
    let latest: RelayCheckpoint | null = null;
    let highWatermark = end;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `reading checkpoint topic ${topic} to offset ${end} took longer than ${this.options.checkpointReadTimeoutMs} ms`,
              ),
            ),
          this.options.checkpointReadTimeoutMs,
        );
        // END_BATCH_PROCESS fires for batches made only of transaction markers too, so it tells
        // when the read_committed position has passed everything written before we started.
        consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
          // offsetLag = (high watermark - 1) - lastOffset: the high watermark, for batches of markers too.
          const hw = BigInt(event.payload.offsetLag) + BigInt(event.payload.lastOffset) + 1n;
          if (hw > highWatermark) highWatermark = hw;
          if (BigInt(event.payload.lastOffset) >= end - 1n) {
            clearTimeout(timer);
            resolve();
          }
        });
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              for (const message of batch.messages) {
                if (message.key?.toString('utf8') === this.options.relayName) latest = decodeCheckpoint(message.value);
              }
            },
          })
          .catch((error: unknown) => {
            clearTimeout(timer);
            reject(error);
          });
      });
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
    return { checkpoint: latest, lastStableOffset: end, highWatermark };
  }

  async ensureTopics(topics: Iterable<string>): Promise<void> {
    const missing = [...new Set(topics)].filter((t) => !this.partitions.has(t));
    if (missing.length === 0) return;
    const admin = this.requireAdmin();
    await this.beforePublishing(`create topics ${missing.join(', ')}`, () =>
      admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: this.options.topicPartitions })),
      }),
    );
    // An existing topic keeps its own partition count; a change of it is seen by the next session.
    await this.learnPartitions(missing);
  }

  private lanesOf(records: readonly RelayRecord[]): PartitionLane[] {
    return partitionLanes(records, (topic, key) => this.partitionOf(topic, key));
  }

  private partitionOf(topic: string, key: string): number {
    const partitionMetadata = this.partitions.get(topic);
    if (!partitionMetadata) throw new Error(`topic ${topic} was not ensured before publishing`);
    // For a keyed record the partitioner uses only the partition count, never the (stale) leaders.
    return this.partitioner({ topic, partitionMetadata, message: { key, value: null } });
  }

  /** `checkpoint` null: the records alone (lockstep replay, which must not move the relay's checkpoint). */
  async publish(records: readonly RelayRecord[], checkpoint: RelayCheckpoint | null): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new Error('publisher not connected');
    const deadline = Date.now() + this.retryBudgetMs;
    const checkpointLane = (): PartitionLane[] => {
      if (!checkpoint) return [];
      const record: RelayRecord = {
        topic: this.options.checkpointTopic,
        key: this.options.relayName,
        value: encodeCheckpoint(checkpoint),
        headers: {},
      };
      return [{ topic: record.topic, partition: this.partitionOf(record.topic, record.key), records: [record] }];
    };
    if (this.options.transactions === false) {
      // At-least-once: the checkpoint goes out after the events it covers, not atomically.
      await this.sendLanes(this.lanesOf(records), (m) => producer.send(m), deadline);
      await this.sendLanes(checkpointLane(), (m) => producer.send(m), deadline);
      return;
    }
    try {
      const tx = await producer.transaction();
      try {
        await this.sendLanes([...this.lanesOf(records), ...checkpointLane()], (m) => tx.send(m), deadline);
        // Not retried: kafkajs cannot repeat a commit (its state machine is left in COMMITTING).
        // A failed commit ends the session; the next producer completes or aborts it.
        await tx.commit();
      } catch (error) {
        // Best effort only: whatever happened, the caller replaces this producer, and the new
        // one's InitProducerId aborts (or completes) this transaction on the broker.
        if (tx.isActive()) await tx.abort().catch(() => undefined);
        throw error;
      }
    } catch (error) {
      if (isFencingError(error)) throw new RelayFencedError(this.options.relayName, error);
      if (isTooLargeError(error) && records.length > 0) {
        // Name the biggest record of the batch: the one that cannot fit.
        const biggest = records.reduce((a, b) => (recordBytes(b) > recordBytes(a) ? b : a));
        throw new RecordTooLargeError(
          biggest.headers[LockstepHeader.id] ?? '(unknown)',
          biggest.topic,
          recordBytes(biggest),
          error,
        );
      }
      throw error;
    }
  }

  /**
   * Sends every lane: lanes in parallel, each lane's chunks one after the other, each chunk one
   * kafkajs `send` to one partition (so one broker), retried within the budget. Never a send
   * that spans brokers: that is where kafkajs duplicates records (see partitionLanes).
   */
  private async sendLanes(
    lanes: readonly PartitionLane[],
    send: (message: { topic: string; acks: -1; messages: Message[] }) => Promise<unknown>,
    deadline: number,
  ): Promise<void> {
    let failed = false;
    // The lane that failed first holds the cause; the others were only cancelled by it.
    let cause: unknown;
    const results = await Promise.allSettled(
      lanes.map(async (lane) => {
        try {
          for (const chunk of chunkByBytes(lane.records, this.options.maxRequestBytes)) {
            const messages = chunk.map((r) => ({ key: r.key, value: r.value, headers: r.headers, partition: lane.partition }));
            await this.retried(
              `produce ${lane.topic}/${lane.partition}`,
              deadline,
              () => send({ topic: lane.topic, acks: -1, messages }),
              () => failed,
            );
          }
        } catch (error) {
          if (!failed) cause = error;
          failed = true;
          throw error;
        }
      }),
    );
    if (results.some((r) => r.status === 'rejected')) throw cause;
  }

  async close(): Promise<void> {
    const producer = this.producer;
    const admin = this.admin;
    this.producer = null;
    this.admin = null;
    await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
  }

  /** `attempt` retried while Kafka refuses it for now, reported through onWait (see retryWithinBudget). */
  private retried<T>(operation: string, deadline: number, attempt: () => Promise<T>, cancelled?: () => boolean): Promise<T> {
    return retryWithinBudget(attempt, {
      operation,
      deadline,
      isRetriable: isRetriableKafkaError,
      reasonOf: kafkaErrorReason,
      onWait: this.options.onWait,
      cancelled,
      shortLivedReasons: SHORT_LIVED,
    });
  }

  /**
   * A call a session makes before publishing (producer connect, topic creation, metadata, the
   * checkpoint's offsets), retried within the budget. kafkajs sends each of these to one broker
   * it picks (the "controller", which KRaft names at random among the brokers not yet fenced; a
   * random broker for metadata; the partition's leader) and fails at once with
   * KafkaJSConnectionError when that broker is dead but not yet fenced (the ~9 s of
   * broker.session.timeout.ms after a kill -9). Seen on the 3-node cluster: a relay starting then
   * failed session after session, backing off up to 10 s, for a broker it did not need. All of
   * these calls are safe to repeat.
   */
  private beforePublishing<T>(operation: string, call: () => Promise<T>): Promise<T> {
    return this.retried(operation, Date.now() + this.retryBudgetMs, call);
  }

  private get retryBudgetMs(): number {
    return this.options.retryBudgetMs ?? Math.max(5_000, this.options.transactionTimeoutMs - 15_000);
  }

  private requireAdmin(): Admin {
    if (!this.admin) throw new Error('publisher not connected');
    return this.admin;
  }
}
