import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { kafkajsConfig, type KafkaConnectionOptions } from '@lockstep/core';
import { headersToStrings } from './kafka-headers.js';
import type { DeadLetterSink, OutgoingRecord, PartitionBatch, RecordSource } from './kafka.port.js';

export function createKafka(connection: KafkaConnectionOptions, clientId: string): Kafka {
  return new Kafka(kafkajsConfig(connection, clientId, { logLevel: logLevel.WARN }));
}

export interface KafkajsSourceOptions {
  groupId: string;
  topics: string[];
  fromBeginning: boolean;
  partitionsConcurrency: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
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
  private rejoin: unknown;
  /** When the last heartbeat failed (0: it did not). */
  private heartbeatFailedAt = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkajsSourceOptions,
  ) {}

  onAssignment(listener: (assigned: Record<string, number[]>) => void): void {
    this.assignmentListeners.push(listener);
  }

  async start(onBatch: (batch: PartitionBatch) => Promise<void>): Promise<void> {
    const o = this.options;
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
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset, commitOffsetsIfNecessary, uncommittedOffsets }) => {
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
              if (REJOIN_ERRORS.has((error as { type?: string }).type ?? '')) this.rejoin ??= error;
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
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}

/** Idempotent producer (acks=all) for dead letters; topics made on demand. */
export class KafkajsDeadLetterSink implements DeadLetterSink {
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private readonly ready = new Set<string>();

  constructor(private readonly kafka: Kafka) {}

  async ensureTopic(sourceTopic: string, deadLetterTopic: string): Promise<void> {
    if (this.ready.has(deadLetterTopic)) return;
    if (!this.admin) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    const existing = await this.admin.listTopics();
    if (!existing.includes(deadLetterTopic)) {
      const meta = await this.admin.fetchTopicMetadata({ topics: [sourceTopic] });
      const partitions = meta.topics[0]?.partitions.length || 1;
      try {
        await this.admin.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic: deadLetterTopic,
              numPartitions: partitions,
              // Dead letters are evidence: keep them (a month) and take records as large as
              // the source topic could have carried.
              configEntries: [
                { name: 'retention.ms', value: String(30 * 24 * 3600 * 1000) },
                { name: 'max.message.bytes', value: String(16 * 1024 * 1024) },
              ],
            },
          ],
        });
      } catch (error) {
        if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
      }
    }
    this.ready.add(deadLetterTopic);
  }

  /** One record per call, so one partition and one broker per send: kafkajs' multi-broker
   * retry that duplicates records (docs/kafka-client.md) cannot happen here. */
  async publish(topic: string, record: OutgoingRecord): Promise<void> {
    if (!this.producer) {
      this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await this.producer.connect();
    }
    const producer = this.producer;
    try {
      await producer.send({ topic, acks: -1, messages: [{ key: record.key, value: record.value, headers: record.headers }] });
    } catch (error) {
      // Throw the producer away after any failed send, as DESIGN.md asks of producers after an
      // ambiguous failure. kafkajs never recovers an idempotent producer from a sequence error
      // (OUT_OF_ORDER_SEQUENCE_NUMBER, e.g. once the broker has expired its producer id after
      // producer.id.expiration.ms, 1 day, without a dead letter): every later send to that
      // partition would fail the same way while the source partition waits for it. A new
      // producer id starts clean. The cost, after an ambiguous failure, is a second copy of
      // this dead letter, which the redrive and the inbox absorb.
      if (this.producer === producer) this.producer = undefined;
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.producer = undefined;
    this.admin = undefined;
  }
}
