import { Counter, Histogram, register as globalRegistry, type Registry } from 'prom-client';
import type { ConsumerMetricsPort, EventOutcome } from '../../ports/consumer-metrics.port.js';

export type { EventOutcome } from '../../ports/consumer-metrics.port.js';

/** Prometheus metrics of the consumer. Reused when the registry already has them, so two
 * servers in one process (or a test re-creating one) share the series. */
export class ConsumerMetrics implements ConsumerMetricsPort {
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

  eventHandled(consumer: string, topic: string, outcome: EventOutcome): void {
    this.events.inc({ consumer, topic, outcome });
  }

  lagObserved(consumer: string, topic: string, seconds: number): void {
    this.lag.observe({ consumer, topic }, seconds);
  }
}
