import type { Logger } from '@nestjs/common';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { ConsumerStoreError, DeadLetterError, DeadLetterPublishError, UnknownEventTypeError } from './consumer.errors.js';
import type { ConsumerMetrics, EventOutcome } from './consumer.metrics.js';
import { keyHash, type ConsumerStore, type StoredPartitionState } from './consumer-store.js';
import { DeadLetterHeader, deadLetterHeaders } from './kafka-headers.js';
import type { DeadLetterSink, PartitionBatch } from './kafka.port.js';
import { decodeRecord, type ConsumedRecord, type DeadLetterReason, type DecodedRecord, type RecordEnvelope } from './record-decoder.js';
import type { Type } from '@nestjs/common';

type EventRecord = Extract<DecodedRecord, { kind: 'event' }>;

export interface ProcessorSettings {
  consumer: string;
  mode: 'event' | 'batch';
  maxBatchEvents: number;
  maxPayloadBytes: number;
  maxAttempts: number;
  backoff: BackoffOptions;
  unknownEventType: 'skip' | 'dead-letter' | 'fail';
  onDeadLetter: 'park-key' | 'skip-and-continue';
  deadLetterTopic: (topic: string) => string;
}

/** Runs the `@OnEvent` handlers of one event inside the given transaction. */
export type HandlerInvoker = (decoded: EventRecord, manager: EntityManager, attempt: number) => Promise<void>;

/** The handler threw (as opposed to Lockstep's own SQL or the connection failing). */
class HandlerFailure extends Error {
  constructor(readonly original: unknown) {
    super('handler failed', { cause: original });
  }
}

// Driver errors that say "the connection is gone", not "this event is bad": never a reason
// to dead-letter an event, whoever ran the query.
const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN', 'PROTOCOL_SEQUENCE_TIMEOUT', 'POOL_CLOSED', 'ER_CONNECTION_KILLED', 'ER_QUERY_INTERRUPTED',
]);
const isConnectionError = (error: unknown): boolean => {
  const e = error as { code?: string; driverError?: { code?: string } };
  const code = e?.driverError?.code ?? e?.code;
  return code !== undefined && CONNECTION_ERRORS.has(code);
};

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);

/** Aborted: the partition was taken away or the consumer is stopping; the record stays unmarked. */
const ABORTED = Symbol('aborted');

/**
 * Applies the records of one partition, in order, each exactly once: a record is marked
 * processed in Kafka only after the MySQL transaction that holds its effects, its inbox row
 * and the partition's next offset committed.
 */
export class PartitionProcessor {
  private readonly states = new Map<string, StoredPartitionState & { checked: boolean }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: ConsumerStore,
    private readonly sink: DeadLetterSink,
    private readonly metrics: ConsumerMetrics,
    private readonly settings: ProcessorSettings,
    private readonly classFor: (type: string) => Type<object> | undefined,
    private readonly invoke: HandlerInvoker,
    private readonly logger: Logger,
  ) {}

  /** After a rebalance the stored state may have moved on (another member): reload it. */
  forgetPartitions(): void {
    this.states.clear();
  }

  async processBatch(batch: PartitionBatch): Promise<void> {
    if (batch.records.length === 0) return;
    const state = await this.stateOf(batch);
    if (state === ABORTED) return;
    if (!state.checked) {
      state.checked = true;
      // Resume where MySQL says, not where Kafka's group offset says: the Kafka commit comes
      // after the MySQL commit, so a crash in between leaves Kafka behind.
      if (state.nextOffset !== undefined && BigInt(batch.records[0]!.offset) !== state.nextOffset) {
        batch.seek(state.nextOffset);
        return;
      }
    }
    const records = batch.records.filter((r) => state.nextOffset === undefined || BigInt(r.offset) >= state.nextOffset);
    try {
      if (this.settings.mode === 'batch') await this.processInRuns(batch, state, records);
      else for (const record of records) if ((await this.processOne(batch, state, record)) === ABORTED) break;
    } finally {
      await batch.commit();
    }
  }

  private async stateOf(batch: PartitionBatch): Promise<(StoredPartitionState & { checked: boolean }) | typeof ABORTED> {
    const id = `${batch.topic}\u0000${batch.partition}`;
    let state = this.states.get(id);
    if (!state) {
      const loaded = await this.untilStored(batch, () => this.store.loadPartition(batch.topic, batch.partition));
      if (loaded === ABORTED) return ABORTED;
      state = { ...loaded, checked: false };
      this.states.set(id, state);
    }
    return state;
  }

  // ---------------------------------------------------------------- batch mode

  private async processInRuns(batch: PartitionBatch, state: StoredPartitionState, records: ConsumedRecord[]): Promise<void> {
    let run: EventRecord[] = [];
    const flush = async (): Promise<boolean> => {
      if (run.length === 0) return true;
      const current = run;
      run = [];
      try {
        const applied = await this.applyInTransaction(batch, current, 1);
        this.afterCommit(batch, state, current.map((d) => d.envelope), applied);
        return batch.isActive();
      } catch (error) {
        if (!batch.isActive()) return false;
        // Roll back the whole run and retry its events one by one: the good ones still apply
        // once, the bad one gets retries and the dead-letter path.
        this.logger.warn(`batch of ${current.length} on ${batch.topic}[${batch.partition}] failed (${describe(error instanceof HandlerFailure ? error.original : error)}); retrying per event`);
        for (const d of current) if ((await this.processOne(batch, state, d.envelope.record, d)) === ABORTED) return false;
        return true;
      }
    };
    for (const record of records) {
      if (!batch.isActive()) return;
      const decoded = await decodeRecord(record, { maxPayloadBytes: this.settings.maxPayloadBytes, classFor: this.classFor });
      if (decoded.kind === 'event' && !this.needsSpecialPath(state, decoded.envelope)) {
        run.push(decoded);
        if (run.length >= this.settings.maxBatchEvents && !(await flush())) return;
        continue;
      }
      if (!(await flush())) return;
      if ((await this.processOne(batch, state, record, decoded)) === ABORTED) return;
    }
    await flush();
  }

  private needsSpecialPath(state: StoredPartitionState, e: RecordEnvelope): boolean {
    return e.record.headers[DeadLetterHeader.redrivenAt] !== undefined || (e.key !== null && state.parked.has(keyHash(e.key).toString('hex')));
  }

  // ---------------------------------------------------------------- per event

  private async processOne(
    batch: PartitionBatch,
    state: StoredPartitionState,
    record: ConsumedRecord,
    decodedAlready?: DecodedRecord,
  ): Promise<void | typeof ABORTED> {
    if (!batch.isActive()) return ABORTED;
    const decoded = decodedAlready ?? (await decodeRecord(record, { maxPayloadBytes: this.settings.maxPayloadBytes, classFor: this.classFor }));
    let result: void | typeof ABORTED;
    switch (decoded.kind) {
      case 'reject':
        result = await this.deadLetter(batch, state, decoded.envelope, decoded.reason, decoded.message);
        break;
      case 'unknown-type':
        result = await this.unknownType(batch, state, decoded.envelope);
        break;
      case 'event':
        result = await this.applyWithRetries(batch, state, decoded);
        break;
    }
    if (result !== ABORTED) await batch.heartbeat().catch(() => undefined);
    return result;
  }

  private async unknownType(batch: PartitionBatch, state: StoredPartitionState, e: RecordEnvelope): Promise<void | typeof ABORTED> {
    const policy = this.settings.unknownEventType;
    if (policy === 'dead-letter') return this.deadLetter(batch, state, e, 'unknown-type', `no @OnEvent handler for ${e.eventType}`);
    if (policy === 'fail') {
      const r = e.record;
      const error = new UnknownEventTypeError(e.eventType ?? '?', r.topic, r.partition, r.offset);
      for (let attempt = 1; batch.isActive(); attempt++) {
        this.logger.error(error.message);
        if ((await this.pause(batch, backoffDelay(attempt, { ...this.settings.backoff, maxMs: 30_000 }))) === ABORTED) break;
      }
      return ABORTED;
    }
    const rec = e.record;
    const stored = await this.untilStored(batch, () => this.inTransaction((qr) => this.store.storeOffset(qr, rec.topic, rec.partition, BigInt(rec.offset) + 1n)));
    if (stored === ABORTED) return ABORTED;
    this.count(e, 'skipped_unknown');
    this.markDone(batch, state, e);
  }

  private async applyWithRetries(batch: PartitionBatch, state: StoredPartitionState, d: EventRecord): Promise<void | typeof ABORTED> {
    const e = d.envelope;
    const redriven = e.record.headers[DeadLetterHeader.redrivenAt] !== undefined;
    const hash = e.key !== null ? keyHash(e.key).toString('hex') : undefined;
    const head = hash !== undefined ? state.parked.get(hash) : undefined;
    let unpark = false;
    if (head !== undefined) {
      // The re-driven copy of the event that parked its key releases the key; anything else
      // of that key waits behind it in the dead-letter topic.
      if (redriven && head === e.eventIdBytes.toString('hex')) unpark = true;
      else return this.deadLetter(batch, state, e, 'parked-behind', `key parked behind event ${head || '(without id)'}`);
    }
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.settings.maxAttempts; ) {
      if (!batch.isActive()) return ABORTED;
      try {
        const applied = await this.applyInTransaction(batch, [d], attempt, { unpark });
        if (unpark && hash !== undefined) state.parked.delete(hash);
        this.afterCommit(batch, state, [e], applied);
        return;
      } catch (error) {
        if (!(error instanceof HandlerFailure) || isConnectionError(error.original)) {
          // Our own SQL or the connection failed: the record is not at fault, so it is retried
          // for as long as it takes and never dead-lettered.
          this.logger.warn(`MySQL unavailable while applying ${e.record.topic}[${e.record.partition}]@${e.record.offset}: ${describe(error instanceof HandlerFailure ? error.original : error)}`);
          if ((await this.pause(batch, backoffDelay(attempt, this.settings.backoff))) === ABORTED) return ABORTED;
          continue;
        }
        lastError = error.original;
        if (lastError instanceof DeadLetterError) break;
        if (attempt < this.settings.maxAttempts) {
          this.count(e, 'retried');
          this.logger.warn(`${e.eventType} ${e.eventId} attempt ${attempt}/${this.settings.maxAttempts} failed: ${describe(lastError)}`);
          if ((await this.pause(batch, backoffDelay(attempt, this.settings.backoff))) === ABORTED) return ABORTED;
        }
        attempt++;
      }
    }
    return this.deadLetter(batch, state, e, 'handler-failed', describe(lastError), { unpark });
  }

  /**
   * One MySQL transaction for `events` (one in event mode, a run in batch mode): per event an
   * inbox row (a duplicate skips its handler) and the handler; then the partition's next offset.
   * Returns which events were applied (not duplicates).
   */
  private async applyInTransaction(
    batch: PartitionBatch,
    events: EventRecord[],
    attempt: number,
    options: { unpark?: boolean } = {},
  ): Promise<boolean[]> {
    const last = events[events.length - 1]!.envelope.record;
    return this.inTransaction(async (qr) => {
      const applied: boolean[] = [];
      for (const d of events) {
        const e = d.envelope;
        if (e.record.headers[DeadLetterHeader.redrivenAt] !== undefined) await this.store.resetDeadLetter(qr, e.eventIdBytes);
        if (options.unpark && e.key !== null) await this.store.unpark(qr, e.record.topic, e.key);
        const fresh = await this.store.insertInbox(qr, e.eventIdBytes);
        applied.push(fresh);
        if (!fresh) continue;
        try {
          await this.invoke(d, qr.manager, attempt);
        } catch (error) {
          throw new HandlerFailure(error);
        }
      }
      await this.store.storeOffset(qr, batch.topic, batch.partition, BigInt(last.offset) + 1n);
      return applied;
    });
  }

  private afterCommit(batch: PartitionBatch, state: StoredPartitionState, envelopes: RecordEnvelope[], applied: boolean[]): void {
    const now = Date.now();
    envelopes.forEach((e, i) => {
      if (applied[i]) {
        this.count(e, 'applied');
        if (e.occurredAt) this.metrics.lag.observe({ consumer: this.settings.consumer, topic: e.record.topic }, Math.max(0, now - e.occurredAt.getTime()) / 1000);
      } else {
        this.count(e, 'duplicate');
      }
    });
    this.markDone(batch, state, envelopes[envelopes.length - 1]!);
  }

  // ---------------------------------------------------------------- dead letters

  /**
   * Dead-letter topic first, MySQL marker second: a crash in between re-runs the record and
   * publishes a second dead letter (duplicates are harmless: the redrive and the inbox
   * deduplicate them), while the opposite order could lose the record.
   */
  private async deadLetter(
    batch: PartitionBatch,
    state: StoredPartitionState,
    e: RecordEnvelope,
    reason: DeadLetterReason,
    message: string,
    options: { unpark?: boolean } = {},
  ): Promise<void | typeof ABORTED> {
    const r = e.record;
    const redriven = r.headers[DeadLetterHeader.redrivenAt] !== undefined;
    if (e.eventIdBytes) {
      const status = await this.untilStored(batch, () => this.store.eventStatus(e.eventIdBytes!));
      if (status === ABORTED) return ABORTED;
      // A duplicate of an event already applied, or already dead-lettered: not a new dead letter.
      if (status === 'applied' || (status === 'dead-lettered' && !redriven)) {
        const stored = await this.untilStored(batch, () => this.inTransaction((qr) => this.store.storeOffset(qr, r.topic, r.partition, BigInt(r.offset) + 1n)));
        if (stored === ABORTED) return ABORTED;
        this.count(e, 'duplicate');
        this.markDone(batch, state, e);
        return;
      }
    }
    const dlqTopic = this.settings.deadLetterTopic(r.topic);
    const headers = deadLetterHeaders(r.headers, {
      reason,
      error: message,
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      consumer: this.settings.consumer,
      at: new Date(),
    });
    const published = await this.untilStored(batch, () => this.publishDeadLetter(r.topic, dlqTopic, { key: r.key, value: r.value, headers }));
    if (published === ABORTED) return ABORTED;
    // A record without a valid event id cannot be re-driven into place, so it parks nothing.
    const park = this.settings.onDeadLetter === 'park-key' && e.key !== null && e.eventIdBytes !== undefined && !options.unpark;
    const stored = await this.untilStored(batch, () =>
      this.inTransaction(async (qr) => {
        if (e.eventIdBytes) {
          if (redriven) await this.store.resetDeadLetter(qr, e.eventIdBytes);
          await this.store.recordDeadLetter(qr, { eventId: e.eventIdBytes, topic: r.topic, partition: r.partition, offset: r.offset, reason });
        }
        if (park) await this.store.park(qr, { topic: r.topic, partition: r.partition, key: e.key!, headEventId: e.eventIdBytes ?? null, headOffset: r.offset });
        await this.store.storeOffset(qr, r.topic, r.partition, BigInt(r.offset) + 1n);
      }),
    );
    if (stored === ABORTED) return ABORTED;
    if (park) {
      const hash = keyHash(e.key!).toString('hex');
      if (!state.parked.has(hash)) state.parked.set(hash, e.eventIdBytes?.toString('hex') ?? '');
    }
    this.count(e, reason === 'parked-behind' ? 'parked' : 'dead_lettered');
    this.logger.warn(`dead-lettered ${r.topic}[${r.partition}]@${r.offset} (${e.eventType ?? 'no type'} ${e.eventId ?? 'no id'}) to ${dlqTopic}: ${reason}: ${message}`);
    this.markDone(batch, state, e);
  }

  private async publishDeadLetter(sourceTopic: string, dlqTopic: string, record: { key: Buffer | null; value: Buffer | null; headers: Record<string, string> }): Promise<void> {
    try {
      await this.sink.ensureTopic(sourceTopic, dlqTopic);
      try {
        await this.sink.publish(dlqTopic, record);
      } catch (error) {
        const type = (error as { type?: string }).type;
        if (type !== 'MESSAGE_TOO_LARGE' && type !== 'RECORD_LIST_TOO_LARGE') throw error;
        // Too large even for the dead-letter topic: keep the evidence (headers, where the
        // original is) and drop the value; the original stays in the source topic.
        await this.sink.publish(dlqTopic, {
          key: record.key,
          value: null,
          headers: { ...record.headers, [DeadLetterHeader.valueDropped]: String(record.value?.length ?? 0) },
        });
      }
    } catch (error) {
      throw new DeadLetterPublishError(dlqTopic, error);
    }
  }

  // ---------------------------------------------------------------- plumbing

  private markDone(batch: PartitionBatch, state: StoredPartitionState, e: RecordEnvelope): void {
    batch.markProcessed(e.record.offset);
    const next = BigInt(e.record.offset) + 1n;
    if (state.nextOffset === undefined || next > state.nextOffset) state.nextOffset = next;
  }

  private count(e: RecordEnvelope, outcome: EventOutcome): void {
    this.metrics.events.inc({ consumer: this.settings.consumer, topic: e.record.topic, outcome });
  }

  private async inTransaction<T>(fn: (qr: QueryRunner) => Promise<T>): Promise<T> {
    const qr = this.dataSource.createQueryRunner();
    try {
      await qr.connect();
      await qr.startTransaction();
    } catch (error) {
      await qr.release().catch(() => undefined);
      throw new ConsumerStoreError('could not open a MySQL transaction', error);
    }
    try {
      const result = await fn(qr);
      try {
        await qr.commitTransaction();
      } catch (error) {
        throw new ConsumerStoreError('could not commit', error);
      }
      return result;
    } catch (error) {
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await qr.release().catch(() => undefined);
    }
  }

  /** Retries `fn` (infrastructure: MySQL, the dead-letter topic) until it works or the
   * partition is no longer ours. The record is never skipped for an infrastructure failure. */
  private async untilStored<T>(batch: PartitionBatch, fn: () => Promise<T>): Promise<T | typeof ABORTED> {
    for (let attempt = 1; ; attempt++) {
      if (!batch.isActive()) return ABORTED;
      try {
        return await fn();
      } catch (error) {
        this.logger.warn(`${batch.topic}[${batch.partition}]: ${describe(error)}${(error as Error).cause ? ` (${describe((error as Error).cause)})` : ''}; retrying`);
        if ((await this.pause(batch, backoffDelay(attempt, this.settings.backoff))) === ABORTED) return ABORTED;
      }
    }
  }

  /** Waits `ms`, heartbeating so the group keeps the partition with us. */
  private async pause(batch: PartitionBatch, ms: number): Promise<void | typeof ABORTED> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (!batch.isActive()) return ABORTED;
      await new Promise((resolve) => setTimeout(resolve, Math.min(500, until - Date.now())));
      await batch.heartbeat().catch(() => undefined);
    }
    if (!batch.isActive()) return ABORTED;
  }
}
