import { backoffDelay } from '../core/backoff.js';
import { DeadLetterHeader } from '../core/dead-letter-headers.js';
import { describeError } from '../core/describe-error.js';
import { keyHashHex } from '../core/partition-state.js';
import type { EventRecord, RecordEnvelope } from '../core/record-decoder.js';
import { decideRetry } from '../core/retry-decision.js';
import type { DeadLetterer } from './dead-letterer.js';
import { failureCause, HandlerFailure } from './handler-failure.js';
import { ABORTED, type PartitionWork, type Step } from './partition-work.js';
import type { ProcessorDeps } from './processor-deps.js';

/**
 * Applies events exactly once: per event an inbox row (a duplicate skips its handler) and the
 * handler, then the partition's next offset, all in one MySQL transaction. Retries a failing
 * handler with backoff, then dead-letters the event.
 */
export class EventApplier {
  constructor(
    private readonly deps: ProcessorDeps,
    private readonly deadLetterer: DeadLetterer,
  ) {}

  /** One event in its own transaction, with retries; a parked key sends it to the dead-letter topic. */
  async applyWithRetries(work: PartitionWork, d: EventRecord): Promise<Step> {
    const { settings, logger } = this.deps;
    const e = d.envelope;
    const redriven = e.record.headers[DeadLetterHeader.redrivenAt] !== undefined;
    const hash = e.key !== null ? keyHashHex(e.key) : undefined;
    const head = hash !== undefined ? work.state.parked.get(hash) : undefined;
    let unpark = false;
    if (head !== undefined) {
      // The re-driven copy of the event that parked its key releases the key; anything else
      // of that key waits behind it in the dead-letter topic.
      if (redriven && head === e.eventIdBytes.toString('hex')) unpark = true;
      else return this.deadLetterer.deadLetter(work, e, 'parked-behind', `key parked behind event ${head || '(without id)'}`);
    }
    for (let attempt = 1; ;) {
      if (!work.isActive()) return ABORTED;
      try {
        const applied = await this.applyInTransaction(work, [d], attempt, { unpark });
        if (unpark && hash !== undefined) work.state.parked.delete(hash);
        this.afterCommit(work, [e], applied);
        return;
      } catch (error) {
        const cause = failureCause(error);
        const decision = decideRetry(
          error instanceof HandlerFailure ? 'handler' : 'lockstep',
          cause,
          attempt,
          settings.maxAttempts,
        );
        if (decision === 'wait-for-infrastructure') {
          logger.warn(
            `MySQL unavailable while applying ${e.record.topic}[${e.record.partition}]@${e.record.offset}: ${describeError(cause)}`,
          );
          if ((await work.pause(backoffDelay(attempt, settings.backoff))) === ABORTED) return ABORTED;
          continue;
        }
        if (decision === 'dead-letter')
          return this.deadLetterer.deadLetter(work, e, 'handler-failed', describeError(cause), { unpark });
        work.count(e, 'retried');
        logger.warn(`${e.eventType} ${e.eventId} attempt ${attempt}/${settings.maxAttempts} failed: ${describeError(cause)}`);
        if ((await work.pause(backoffDelay(attempt, settings.backoff))) === ABORTED) return ABORTED;
        attempt++;
      }
    }
  }

  /**
   * One MySQL transaction for `events` (one in event mode, a run in batch mode): per event an
   * inbox row (a duplicate skips its handler) and the handler; then the partition's next offset.
   * Returns which events were applied (not duplicates). A handler's throw is a HandlerFailure.
   */
  async applyInTransaction(
    work: PartitionWork,
    events: EventRecord[],
    attempt: number,
    options: { unpark?: boolean } = {},
  ): Promise<boolean[]> {
    const { store, invoke } = this.deps;
    const { topic, partition } = work.batch;
    const last = events[events.length - 1].envelope.record;
    return store.inTransaction(async (qr) => {
      const applied: boolean[] = [];
      for (const d of events) {
        const e = d.envelope;
        if (e.record.headers[DeadLetterHeader.redrivenAt] !== undefined) await store.resetDeadLetter(qr, e.eventIdBytes);
        if (options.unpark && e.key !== null) await store.unpark(qr, e.record.topic, e.key);
        const fresh = await store.insertInbox(qr, e.eventIdBytes);
        applied.push(fresh);
        if (!fresh) continue;
        try {
          await invoke(d, qr.manager, attempt);
        } catch (error) {
          throw new HandlerFailure(error);
        }
      }
      await store.storeOffset(qr, topic, partition, BigInt(last.offset) + 1n);
      return applied;
    });
  }

  /** Counts and marks the events of a committed transaction. */
  afterCommit(work: PartitionWork, envelopes: RecordEnvelope[], applied: boolean[]): void {
    const { metrics, settings } = this.deps;
    const now = Date.now();
    envelopes.forEach((e, i) => {
      if (applied[i]) {
        work.count(e, 'applied');
        if (e.occurredAt)
          metrics.lagObserved(settings.consumer, e.record.topic, Math.max(0, now - e.occurredAt.getTime()) / 1000);
      } else {
        work.count(e, 'duplicate');
      }
    });
    work.markDone(envelopes[envelopes.length - 1]);
  }
}
