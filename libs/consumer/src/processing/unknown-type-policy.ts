import { backoffDelay } from '../core/backoff.js';
import { UnknownEventTypeError } from '../core/consumer.errors.js';
import type { RecordEnvelope } from '../core/record-decoder.js';
import type { DeadLetterer } from './dead-letterer.js';
import { ABORTED, type PartitionWork, type Step } from './partition-work.js';
import type { ProcessorDeps } from './processor-deps.js';

/** A record whose `lockstep-type` has no handler: `skip` (counted, its offset stored),
 * `dead-letter`, or `fail` (the partition waits, logging, until a handler is deployed). */
export class UnknownTypePolicy {
  constructor(
    private readonly deps: ProcessorDeps,
    private readonly deadLetterer: DeadLetterer,
  ) {}

  async handle(work: PartitionWork, e: RecordEnvelope): Promise<Step> {
    const { settings, logger, store } = this.deps;
    const policy = settings.unknownEventType;
    if (policy === 'dead-letter')
      return this.deadLetterer.deadLetter(work, e, 'unknown-type', `no @LockstepHandler for ${e.eventType}`);
    const r = e.record;
    if (policy === 'fail') {
      const error = new UnknownEventTypeError(e.eventType ?? '?', r.topic, r.partition, r.offset);
      for (let attempt = 1; work.isActive(); attempt++) {
        logger.error(error.message);
        if ((await work.pause(backoffDelay(attempt, { ...settings.backoff, maxMs: 30_000 }))) === ABORTED) break;
      }
      return ABORTED;
    }
    const stored = await work.untilStored(() =>
      store.inTransaction((qr) => store.storeOffset(qr, r.topic, r.partition, BigInt(r.offset) + 1n)),
    );
    if (stored === ABORTED) return ABORTED;
    work.count(e, 'skipped_unknown');
    work.markDone(e);
  }
}
