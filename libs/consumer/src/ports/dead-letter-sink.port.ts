/** A record to write to Kafka, as the dead-letter sink takes it (no client library's types). */
export interface OutgoingRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Where dead letters go: acknowledged by all in-sync replicas before `publish` resolves. */
export interface DeadLetterSink {
  /** Creates `deadLetterTopic` (as many partitions as `sourceTopic`) when it is missing. */
  ensureTopic(sourceTopic: string, deadLetterTopic: string): Promise<void>;
  /** Publishes one record. A record too large for the topic fails with an error whose `type`
   * is `MESSAGE_TOO_LARGE` or `RECORD_LIST_TOO_LARGE` (the broker's own error names). */
  publish(topic: string, record: OutgoingRecord): Promise<void>;
  close(): Promise<void>;
}
