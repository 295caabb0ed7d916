import type { Consumer, Kafka } from 'kafkajs';
import type { PartitionBatch, RecordSource } from '../../ports/record-source.port.js';
import { headersToStrings } from './kafka-headers.js';
import { waitForTopics } from './topic-waiter.js';

export interface KafkajsSourceOptions {
  groupId: string;
  topics: string[];
  fromBeginning: boolean;
  partitionsConcurrency: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** How long `start()` waits for a missing topic before it fails (see `waitForTopics`). */
  topicWaitMs: number;
  /** Where the source says what it waits for (once per wait). */
  log: (message: string) => void;
}

/** Heartbeat answers after which the member must join the group (again) before it goes on:
 * a rebalance, a generation or member id the coordinator no longer knows, a moved coordinator. */
const REJOIN_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR_FOR_GROUP']);

/** kafkajs consumer with `read_committed`, no auto-commit and no auto-resolve: an offset is
 * resolved only after the event's MySQL transaction committed. */
export class KafkajsRecordSource implements RecordSource {
  private consumer: Consumer | undefined;
  private readonly assignmentListeners: Array<(assigned: Record<string, number[]>) => void> = [];
  private stopping = false;
  /**
   * Set when a heartbeat says the member must rejoin (REJOIN_ERRORS): every batch in flight
   * stops before its next record and hands the error to kafkajs, which rejoins. Cleared when
   * the member has joined again. Other heartbeat failures (the coordinator's broker is down)
   * are only logged by kafkajs: the member goes on applying until the group says otherwise.
   */
  private rejoin: Error | undefined;
  /** When the last heartbeat failed (0: it did not). */
  private heartbeatFailedAt = 0;
  /** Set when kafkajs crashed and will not restart the consumer: nothing is fetched any more. */
  private crashed: unknown;
  /** Ends a wait for missing topics when the source is stopped during it. */
  private readonly stopSignal = new AbortController();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkajsSourceOptions,
  ) {}

  onAssignment(listener: (assigned: Record<string, number[]>) => void): void {
    this.assignmentListeners.push(listener);
  }

  isRunning(): boolean {
    return this.consumer !== undefined && this.crashed === undefined;
  }

  async start(onBatch: (batch: PartitionBatch) => Promise<void>): Promise<void> {
    const o = this.options;
    // kafkajs' subscribe fails at once with UNKNOWN_TOPIC_OR_PARTITION on a topic the relay has
    // not created yet (it does so with the first event of the aggregate).
    await waitForTopics(this.kafka, { topics: o.topics, timeoutMs: o.topicWaitMs, log: o.log, signal: this.stopSignal.signal });
    if (this.stopping) return;
    const consumer = this.kafka.consumer({
      groupId: o.groupId,
      readUncommitted: false,
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: o.heartbeatIntervalMs,
      rebalanceTimeout: Math.max(60_000, o.sessionTimeoutMs),
      allowAutoTopicCreation: false,
      // A fetch that finds nothing waits this long on the broker. kafkajs' 5 s default adds
      // latency when several partitions share a fetch; 100 ms costs ~10 idle fetches/s.
      maxWaitTimeInMs: 100,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.crashed = payload.error;
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.rejoin = undefined;
      for (const listener of this.assignmentListeners) listener(payload.memberAssignment);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: o.topics, fromBeginning: o.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: o.partitionsConcurrency,
      /* eslint-disable @typescript-eslint/unbound-method -- kafkajs builds these as arrow functions per batch (consumer/runner.js), no `this` to lose */
      eachBatch: async ({
        batch,
        heartbeat,
        isRunning,
        isStale,
        resolveOffset,
        commitOffsetsIfNecessary,
        uncommittedOffsets,
      }) => {
        /* eslint-enable @typescript-eslint/unbound-method */
        const { topic, partition } = batch;
        let sought = false;
        await onBatch({
          topic,
          partition,
          records: batch.messages.map((m) => ({
            topic,
            partition,
            offset: m.offset,
            key: m.key ?? null,
            value: m.value ?? null,
            headers: headersToStrings(m.headers),
          })),
          isActive: () => !this.stopping && !sought && this.rejoin === undefined && isRunning() && !isStale(),
          heartbeat: async () => {
            // kafkajs spaces heartbeats by the interval only after a successful one; after a
            // failure every call sends another, i.e. one per record while the coordinator's
            // broker is down (936 refused connections in 10 s from one member, each logged).
            if (Date.now() - this.heartbeatFailedAt < o.heartbeatIntervalMs) return;
            try {
              await heartbeat();
              this.heartbeatFailedAt = 0;
            } catch (error) {
              this.heartbeatFailedAt = Date.now();
              if (error instanceof Error && REJOIN_ERRORS.has((error as { type?: string }).type ?? '')) this.rejoin ??= error;
              throw error;
            }
          },
          seek: (offset) => {
            sought = true;
            consumer.seek({ topic, partition, offset: offset.toString() });
          },
          markProcessed: (offset) => resolveOffset(offset),
          commit: async () => {
            try {
              await commitOffsetsIfNecessary(uncommittedOffsets());
            } catch {
              // MySQL holds the authoritative position; a commit lost to a rebalance only
              // means the next owner skips the records by their stored offset.
            }
          },
        });
        // kafkajs rejoins only when a rebalance error leaves eachBatch (or an empty fetch
        // heartbeats). The processor ignores heartbeat errors, so before this the member applied
        // the rest of every batch it had fetched, and fetched more, while the group waited for
        // it in the rebalance; and since kafkajs throttles heartbeats only after a success, each
        // record sent one more Heartbeat (3-node cluster: one member, 15 s, 1,857 heartbeats
        // answered REBALANCE_IN_PROGRESS). Bounded only by the rebalance timeout (60 s), after
        // which the group evicts the member while it still applies. Now: stop, rejoin.
        if (this.rejoin !== undefined) throw this.rejoin;
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}
