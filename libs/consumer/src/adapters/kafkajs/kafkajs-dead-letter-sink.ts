import type { Admin, Kafka, Producer } from 'kafkajs';
import type { DeadLetterSink, OutgoingRecord } from '../../ports/dead-letter-sink.port.js';

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
      // Throw the producer away after any failed send, as docs/design.md asks of producers after an
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
