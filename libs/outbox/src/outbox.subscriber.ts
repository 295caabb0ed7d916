import type {
  EntitySubscriberInterface,
  InsertEvent,
  QueryRunner,
  RemoveEvent,
  SoftRemoveEvent,
  UpdateEvent,
} from 'typeorm';
import type { OutboxRecord } from './outbox-record.js';
import type { OutboxWriter } from './outbox-writer.js';
import { transactionalQueryRunner } from './outbox-transaction.js';
import { pendingEventsOf, takePendingEvents } from './records-events.js';

/**
 * Writes the events recorded on entities (RecordsEvents) into the outbox, through
 * `event.queryRunner` — the connection and transaction of the write itself.
 *
 * - `before*` refuses a write outside a transaction BEFORE the domain statement runs:
 *   `repository.insert()` does not open a transaction, so checking after the INSERT would be too
 *   late (it already autocommitted). Pending events are also validated there, so a bad event
 *   stops the write before any SQL.
 * - `after*` inserts the rows. Not `beforeTransactionCommit`: that also fires when a savepoint is
 *   released, and a savepoint rolled back later would then have leaked its events.
 *
 * Register one per DataSource: `dataSource.subscribers.push(new OutboxSubscriber(writer))`
 * (OutboxModule does this for you).
 */
export class OutboxSubscriber implements EntitySubscriberInterface {
  /** Rows prepared in `before*`, reused in `after*` so each event is validated once. */
  private readonly prepared = new WeakMap<object, { events: readonly object[]; count: number; records: OutboxRecord[] }>();

  constructor(private readonly writer: OutboxWriter) {}

  beforeInsert(event: InsertEvent<unknown>): Promise<void> | void {
    return this.check(event.entity, event.queryRunner, 'insert');
  }

  beforeUpdate(event: UpdateEvent<unknown>): Promise<void> | void {
    return this.check(event.entity, event.queryRunner, 'update');
  }

  beforeRemove(event: RemoveEvent<unknown>): Promise<void> | void {
    return this.check(event.entity, event.queryRunner, 'remove');
  }

  beforeSoftRemove(event: SoftRemoveEvent<unknown>): Promise<void> | void {
    return this.check(event.entity, event.queryRunner, 'soft remove');
  }

  afterInsert(event: InsertEvent<unknown>): Promise<void> | void {
    return this.flush(event.entity, event.queryRunner, 'insert');
  }

  afterUpdate(event: UpdateEvent<unknown>): Promise<void> | void {
    return this.flush(event.entity, event.queryRunner, 'update');
  }

  afterRemove(event: RemoveEvent<unknown>): Promise<void> | void {
    return this.flush(event.entity, event.queryRunner, 'remove');
  }

  afterSoftRemove(event: SoftRemoveEvent<unknown>): Promise<void> | void {
    return this.flush(event.entity, event.queryRunner, 'soft remove');
  }

  private async check(entity: unknown, queryRunner: QueryRunner, operation: string): Promise<void> {
    if (!entity || typeof entity !== 'object') return;
    const events = pendingEventsOf(entity);
    if (events.length === 0) return;
    transactionalQueryRunner(queryRunner, `${operation} of ${entity.constructor.name} with recorded events`);
    // Validation and serialisation only: a bad event fails before the domain SQL runs.
    const records = await this.writer.prepare(events);
    this.prepared.set(entity, { events, count: events.length, records });
  }

  private async flush(entity: unknown, queryRunner: QueryRunner, operation: string): Promise<void> {
    if (!entity || typeof entity !== 'object') return;
    if (pendingEventsOf(entity).length === 0) return;
    const qr = transactionalQueryRunner(queryRunner, `${operation} of ${entity.constructor.name} with recorded events`);
    // Taken before the write so one recording is written at most once, even if the entity is saved again.
    const events = takePendingEvents(entity);
    const cached = this.prepared.get(entity);
    this.prepared.delete(entity);
    if (cached && cached.events === events && cached.count === events.length) {
      await this.writer.insertWith(qr, cached.records);
    } else {
      await this.writer.write(qr, events);
    }
  }
}
