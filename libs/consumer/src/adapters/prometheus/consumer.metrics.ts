import { Counter, Histogram, register as globalRegistry, type Registry } from 'prom-client';

export type EventOutcome = 'applied' | 'duplicate' | 'dead_lettered' | 'parked' | 'skipped_unknown' | 'retried';

/** Prometheus metrics of the consumer. Reused when the registry already has them, so two
 * servers in one process (or a test re-creating one) share the series. */
export class ConsumerMetrics {
  readonly events: Counter<'consumer' | 'topic' | 'outcome'>;
  readonly lag: Histogram<'consumer' | 'topic'>;

  constructor(registry: Registry = globalRegistry) {
    this.events =
      (registry.getSingleMetric('lockstep_consumer_events_total') as Counter<'consumer' | 'topic' | 'outcome'> | undefined) ??
      new Counter({
        name: 'lockstep_consumer_events_total',
        help: 'Records handled by a Lockstep consumer, by outcome',
        labelNames: ['consumer', 'topic', 'outcome'],
        registers: [registry],
      });
    this.lag =
      (registry.getSingleMetric('lockstep_consumer_end_to_end_lag_seconds') as Histogram<'consumer' | 'topic'> | undefined) ??
      new Histogram({
        name: 'lockstep_consumer_end_to_end_lag_seconds',
        help: 'From lockstep-occurred-at (producer commit) to the read-model commit',
        labelNames: ['consumer', 'topic'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
        registers: [registry],
      });
  }
}
