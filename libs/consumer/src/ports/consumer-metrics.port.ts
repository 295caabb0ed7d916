/** What happened to a record (the `outcome` label of `lockstep_consumer_events_total`). */
export type EventOutcome = 'applied' | 'duplicate' | 'dead_lettered' | 'parked' | 'skipped_unknown' | 'retried';

/** Where processing reports what it did. The Prometheus adapter is `adapters/prometheus/consumer.metrics.ts`. */
export interface ConsumerMetricsPort {
  eventHandled(consumer: string, topic: string, outcome: EventOutcome): void;
  /** Seconds from `lockstep-occurred-at` (producer commit) to the read-model commit. */
  lagObserved(consumer: string, topic: string, seconds: number): void;
}
