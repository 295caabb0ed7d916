import { describeError } from '../core/describe-error.js';
import type { ConsumedRecord } from '../core/consumed-record.js';
import { canJoinRun, EventRun } from '../core/event-run.js';
import type { DecodedRecord, EventRecord } from '../core/record-decoder.js';
import type { EventApplier } from './event-applier.js';
import { failureCause } from './handler-failure.js';
import { ABORTED, type PartitionWork, type Step } from './partition-work.js';
import type { ProcessorDeps } from './processor-deps.js';

/** Applies a record on the per-event path (with its retries and dead letters). */
export type ProcessOne = (work: PartitionWork, record: ConsumedRecord, decoded?: DecodedRecord) => Promise<Step>;

/**
 * Batch mode: one MySQL transaction per run of consecutive good events of a partition (up to
 * `maxBatchEvents`) — same guarantee as per-event mode, more throughput. A failing run is
 * rolled back and its events go through the per-event path.
 */
export class BatchRunner {
  constructor(
    private readonly deps: ProcessorDeps,
    private readonly applier: EventApplier,
    private readonly decode: (record: ConsumedRecord) => Promise<DecodedRecord>,
    private readonly processOne: ProcessOne,
  ) {}

  async run(work: PartitionWork, records: ConsumedRecord[]): Promise<void> {
    const run = new EventRun<EventRecord>(this.deps.settings.maxBatchEvents);
    /** False when the partition is no longer ours (stop). */
    const flush = async (): Promise<boolean> => {
      if (run.size === 0) return true;
      const current = run.take();
      try {
        const applied = await this.applier.applyInTransaction(work, current, 1);
        this.applier.afterCommit(
          work,
          current.map((d) => d.envelope),
          applied,
        );
        return work.isActive();
      } catch (error) {
        if (!work.isActive()) return false;
        // Roll back the whole run and retry its events one by one: the good ones still apply
        // once, the bad one gets retries and the dead-letter path.
        const { topic, partition } = work.batch;
        this.deps.logger.warn(
          `batch of ${current.length} on ${topic}[${partition}] failed (${describeError(failureCause(error))}); retrying per event`,
        );
        for (const d of current) if ((await this.processOne(work, d.envelope.record, d)) === ABORTED) return false;
        return true;
      }
    };
    for (const record of records) {
      if (!work.isActive()) return;
      const decoded = await this.decode(record);
      if (decoded.kind === 'event' && canJoinRun(work.state, decoded.envelope)) {
        if (run.push(decoded) && !(await flush())) return;
        continue;
      }
      if (!(await flush())) return;
      if ((await this.processOne(work, record, decoded)) === ABORTED) return;
    }
    await flush();
  }
}
