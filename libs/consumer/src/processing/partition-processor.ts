import type { ConsumedRecord } from '../core/consumed-record.js';
import type { PartitionState } from '../core/partition-state.js';
import { decodeRecord, type DecodedRecord } from '../core/record-decoder.js';
import type { PartitionBatch } from '../ports/record-source.port.js';
import { BatchRunner } from './batch-runner.js';
import { DeadLetterer } from './dead-letterer.js';
import { EventApplier } from './event-applier.js';
import { ABORTED, PartitionWork, untilStored, type Aborted, type PartitionProgress, type Step } from './partition-work.js';
import type { ProcessorDeps } from './processor-deps.js';
import { UnknownTypePolicy } from './unknown-type-policy.js';

/** A partition whose batch has made no progress for a while (for health checks). */
export interface StalledPartition {
  topic: string;
  partition: number;
  /** Milliseconds since its last record was done (or since the batch started). */
  stalledForMs: number;
}

/**
 * Applies the records of one partition, in order, each exactly once: a record is marked
 * processed in Kafka only after the MySQL transaction that holds its effects, its inbox row
 * and the partition's next offset committed. Dispatches each decoded record: a reject to the
 * dead-letter topic, an unknown type to its policy, an event to the applier (or to a run in
 * batch mode).
 */
export class PartitionProcessor {
  private readonly states = new Map<string, PartitionState>();
  /** Partitions with a batch in flight. */
  private readonly inFlight = new Map<string, PartitionProgress>();
  private readonly deadLetterer: DeadLetterer;
  private readonly applier: EventApplier;
  private readonly unknownTypes: UnknownTypePolicy;
  private readonly batchRunner: BatchRunner;

  constructor(private readonly deps: ProcessorDeps) {
    this.deadLetterer = new DeadLetterer(deps);
    this.applier = new EventApplier(deps, this.deadLetterer);
    this.unknownTypes = new UnknownTypePolicy(deps, this.deadLetterer);
    this.batchRunner = new BatchRunner(
      deps,
      this.applier,
      (r) => this.decode(r),
      (w, r, d) => this.processOne(w, r, d),
    );
  }

  /** After a rebalance the stored state may have moved on (another member): reload it. */
  forgetPartitions(): void {
    this.states.clear();
  }

  /** Partitions whose batch in flight made no progress for `thresholdMs` or more. */
  stalledPartitions(thresholdMs: number, now = Date.now()): StalledPartition[] {
    return [...this.inFlight.values()]
      .filter((p) => now - p.lastProgressAt >= thresholdMs)
      .map((p) => ({ topic: p.topic, partition: p.partition, stalledForMs: now - p.lastProgressAt }));
  }

  async processBatch(batch: PartitionBatch): Promise<void> {
    if (batch.records.length === 0) return;
    const id = `${batch.topic}\u0000${batch.partition}`;
    const progress: PartitionProgress = { topic: batch.topic, partition: batch.partition, lastProgressAt: Date.now() };
    this.inFlight.set(id, progress);
    try {
      await this.processLoaded(batch, id, progress);
    } finally {
      if (this.inFlight.get(id) === progress) this.inFlight.delete(id);
    }
  }

  private async processLoaded(batch: PartitionBatch, id: string, progress: PartitionProgress): Promise<void> {
    const state = await this.stateOf(batch, id);
    if (state === ABORTED) return;
    if (!state.checked) {
      state.checked = true;
      // Resume where MySQL says, not where Kafka's group offset says: the Kafka commit comes
      // after the MySQL commit, so a crash in between leaves Kafka behind.
      if (state.nextOffset !== undefined && BigInt(batch.records[0].offset) !== state.nextOffset) {
        batch.seek(state.nextOffset);
        return;
      }
    }
    const records = batch.records.filter((r) => state.nextOffset === undefined || BigInt(r.offset) >= state.nextOffset);
    const work = new PartitionWork(batch, state, this.deps, progress);
    try {
      if (this.deps.settings.mode === 'batch') await this.batchRunner.run(work, records);
      else for (const record of records) if ((await this.processOne(work, record)) === ABORTED) break;
    } finally {
      await batch.commit();
    }
  }

  private async stateOf(batch: PartitionBatch, id: string): Promise<PartitionState | Aborted> {
    let state = this.states.get(id);
    if (!state) {
      const loaded = await untilStored(batch, this.deps, () => this.deps.store.loadPartition(batch.topic, batch.partition));
      if (loaded === ABORTED) return ABORTED;
      state = { ...loaded, checked: false };
      this.states.set(id, state);
    }
    return state;
  }

  private decode(record: ConsumedRecord): Promise<DecodedRecord> {
    return decodeRecord(record, { maxPayloadBytes: this.deps.settings.maxPayloadBytes, classFor: this.deps.classFor });
  }

  /** The per-event path of one record. */
  private async processOne(work: PartitionWork, record: ConsumedRecord, decodedAlready?: DecodedRecord): Promise<Step> {
    if (!work.isActive()) return ABORTED;
    const decoded = decodedAlready ?? (await this.decode(record));
    let result: Step;
    switch (decoded.kind) {
      case 'reject':
        result = await this.deadLetterer.deadLetter(work, decoded.envelope, decoded.reason, decoded.message);
        break;
      case 'unknown-type':
        result = await this.unknownTypes.handle(work, decoded.envelope);
        break;
      case 'event':
        result = await this.applier.applyWithRetries(work, decoded);
        break;
    }
    if (result !== ABORTED) await work.batch.heartbeat().catch(() => undefined);
    return result;
  }
}
