import { backoffDelay } from '../core/backoff.js';
import { describeError } from '../core/describe-error.js';
import { advancePast, type PartitionState } from '../core/partition-state.js';
import type { RecordEnvelope } from '../core/record-decoder.js';
import type { EventOutcome } from '../ports/consumer-metrics.port.js';
import type { PartitionBatch } from '../ports/record-source.port.js';
import type { ProcessorDeps } from './processor-deps.js';

/** Aborted: the partition was taken away or the consumer is stopping; the record stays unmarked. */
export const ABORTED = Symbol('aborted');
export type Aborted = typeof ABORTED;
/** The outcome of one step on a record: done (its offset is marked), or aborted. */
export type Step = void | Aborted;

/** When the partition last made progress (a record marked done), for the stall check. */
export interface PartitionProgress {
  readonly topic: string;
  readonly partition: number;
  lastProgressAt: number;
}

/** Retries `fn` (infrastructure: MySQL, the dead-letter topic) until it works or the
 * partition is no longer ours. The record is never skipped for an infrastructure failure. */
export async function untilStored<T>(batch: PartitionBatch, deps: ProcessorDeps, fn: () => Promise<T>): Promise<T | Aborted> {
  for (let attempt = 1; ; attempt++) {
    if (!batch.isActive()) return ABORTED;
    try {
      return await fn();
    } catch (error) {
      const cause = (error as Error).cause;
      deps.logger.warn(
        `${batch.topic}[${batch.partition}]: ${describeError(error)}${cause ? ` (${describeError(cause)})` : ''}; retrying`,
      );
      if ((await pauseWithHeartbeat(batch, backoffDelay(attempt, deps.settings.backoff))) === ABORTED) return ABORTED;
    }
  }
}

/** Waits `ms`, heartbeating so the group keeps the partition with us. */
export async function pauseWithHeartbeat(batch: PartitionBatch, ms: number): Promise<Step> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!batch.isActive()) return ABORTED;
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, until - Date.now())));
    await batch.heartbeat().catch(() => undefined);
  }
  if (!batch.isActive()) return ABORTED;
}

/** One batch of one partition being worked on, with the partition's state: what every step
 * on a record needs (abort check, waits, marking done, counting). */
export class PartitionWork {
  constructor(
    readonly batch: PartitionBatch,
    readonly state: PartitionState,
    private readonly deps: ProcessorDeps,
    private readonly progress: PartitionProgress,
  ) {}

  isActive(): boolean {
    return this.batch.isActive();
  }

  untilStored<T>(fn: () => Promise<T>): Promise<T | Aborted> {
    return untilStored(this.batch, this.deps, fn);
  }

  pause(ms: number): Promise<Step> {
    return pauseWithHeartbeat(this.batch, ms);
  }

  /** The record is durably handled (its transaction committed): mark it for Kafka. */
  markDone(e: RecordEnvelope): void {
    this.batch.markProcessed(e.record.offset);
    advancePast(this.state, e.record.offset);
    this.progress.lastProgressAt = Date.now();
  }

  count(e: RecordEnvelope, outcome: EventOutcome): void {
    this.deps.metrics.eventHandled(this.deps.settings.consumer, e.record.topic, outcome);
  }
}
