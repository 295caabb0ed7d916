import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RelayEngine } from '../core/relay-engine.js';
import type { RelayState } from '../core/relay-state-machine.js';
import { createdAtToMillis } from '../core/relay-checkpoint.js';

const STATES: RelayState[] = [
  'idle',
  'standby',
  'starting',
  'publishing',
  'recovering',
  'stopping',
  'stopped',
  'fenced',
  'failed',
];

/**
 * Prometheus metrics of one relay, on a registry of its own (so several relays or tests in one
 * process never collide on the global registry).
 */
export class RelayMetrics {
  readonly registry = new Registry();

  constructor(relay: RelayEngine, options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'lockstep_relay_process_' });
    const events = new Counter({ name: 'lockstep_relay_events_published_total', help: 'Events committed to Kafka', registers });
    const txs = new Counter({
      name: 'lockstep_relay_source_transactions_published_total',
      help: 'Source (MySQL) transactions committed to Kafka',
      registers,
    });
    const batches = new Histogram({
      name: 'lockstep_relay_batch_size_events',
      help: 'Events per Kafka transaction',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    });
    const commit = new Histogram({
      name: 'lockstep_relay_kafka_commit_seconds',
      help: 'Time to send a batch and commit its Kafka transaction',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    const kafkaRetries = new Counter({
      name: 'lockstep_relay_kafka_retries_total',
      help: 'Requests Kafka refused for now and the relay retried (leader moving, broker down, CONCURRENT_TRANSACTIONS), by reason',
      labelNames: ['reason'],
      registers,
    });
    new Gauge({
      name: 'lockstep_relay_kafka_waiting_seconds',
      help: 'How long the publish in progress has been retrying what Kafka refused; 0 when not waiting',
      registers,
      collect() {
        this.set(relay.kafkaWaitingSeconds);
      },
    });
    const warnings = new Counter({
      name: 'lockstep_relay_warnings_total',
      help: 'Recoverable problems, by code',
      labelNames: ['code'],
      registers,
    });
    let lastCreatedAtMs: number | null = null;
    new Gauge({
      name: 'lockstep_relay_lag_seconds',
      help: 'now - created_at of the last published event while events are queued; 0 when the queue is empty',
      registers,
      collect() {
        this.set(relay.queuedEvents > 0 && lastCreatedAtMs !== null ? Math.max(0, (Date.now() - lastCreatedAtMs) / 1000) : 0);
      },
    });
    new Gauge({
      name: 'lockstep_relay_last_event_age_seconds',
      help: 'now - created_at of the last published event (grows while the outbox is idle)',
      registers,
      collect() {
        if (lastCreatedAtMs !== null) this.set((Date.now() - lastCreatedAtMs) / 1000);
      },
    });
    new Gauge({
      name: 'lockstep_relay_queued_events',
      help: 'Events read from the binlog, not yet in Kafka',
      registers,
      collect() {
        this.set(relay.queuedEvents);
      },
    });
    new Gauge({
      name: 'lockstep_relay_queued_transactions',
      help: 'Source transactions with events read from the binlog, not yet in Kafka',
      registers,
      collect() {
        this.set(relay.queuedTransactions);
      },
    });
    new Gauge({
      name: 'lockstep_relay_lag_transactions',
      help: 'Binlog transactions committed on the server after the last checkpoint (with or without outbox rows)',
      registers,
      async collect() {
        // Informational: a failed read leaves the last value rather than failing the scrape.
        const behind = await relay.transactionsBehind().catch(() => null);
        if (behind !== null) this.set(behind);
      },
    });
    new Gauge({
      name: 'lockstep_relay_binlog_purge_risk',
      help: '1 when the binlog file holding the checkpoint may be purged soon',
      registers,
      collect() {
        this.set(relay.binlogPurgeRisk ? 1 : 0);
      },
    });
    new Gauge({
      name: 'lockstep_relay_source_paused',
      help: '1 while backpressure pauses the binlog',
      registers,
      collect() {
        this.set(relay.isPaused ? 1 : 0);
      },
    });
    new Gauge({
      name: 'lockstep_relay_state',
      help: '1 for the current state of the relay',
      labelNames: ['state'],
      registers,
      collect() {
        for (const s of STATES) this.set({ state: s }, relay.state === s ? 1 : 0);
      },
    });
    relay.on('batch', (b) => {
      events.inc(b.events);
      txs.inc(b.transactions);
      batches.observe(b.events);
      commit.observe(b.commitMs / 1000);
      if (b.checkpoint.lastEventCreatedAt) lastCreatedAtMs = createdAtToMillis(b.checkpoint.lastEventCreatedAt);
    });
    relay.on('warning', (code) => warnings.inc({ code }));
    relay.on('kafkaWait', (wait) => kafkaRetries.inc({ reason: wait.reason }));
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
