import type {
  EntitySubscriberInterface,
  InsertEvent,
  QueryRunner,
  RemoveEvent,
  SoftRemoveEvent,
  TransactionCommitEvent,
  TransactionRollbackEvent,
  TransactionStartEvent,
  UpdateEvent,
} from 'typeorm';
import type { OutboxRecord } from './outbox-record.js';
import type { OutboxWriter } from './outbox-writer.js';
import { transactionalQueryRunner } from './outbox-transaction.js';
import { pendingEventsOf, restorePendingEvents, takePendingEvents } from './records-events.js';

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
 * - Written events leave the entity, but only for good once the real COMMIT happened: if their
 *   transaction (or the savepoint they were written in) rolls back, they are put back on the
 *   entity, so retrying `save()` after a deadlock writes them again instead of committing the
 *   domain row without its events.
 *
 * Register one per DataSource: `dataSource.subscribers.push(new OutboxSubscriber(writer))`
 * (OutboxModule does this for you).
 */
export class OutboxSubscriber implements EntitySubscriberInterface {
  /** Rows prepared in `before*`, reused in `after*` so each event is validated once. */
  private readonly prepared = new WeakMap<object, { events: readonly object[]; count: number; records: OutboxRecord[] }>();

  /**
   * Per connection, one frame per open transaction level (the transaction, then each savepoint):
   * the entities whose events were written at that level, and those events.
   */
  private readonly levels = new WeakMap<QueryRunner, Array<Array<{ entity: object; events: object[] }>>>();

  constructor(private readonly writer: OutboxWriter) {}

  afterTransactionStart(event: TransactionStartEvent): void {
    const stack = this.levels.get(event.queryRunner);
    if (stack) stack.push([]);
    else this.levels.set(event.queryRunner, [[]]);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const stack = this.levels.get(event.queryRunner);
    const done = stack?.pop();
    if (!stack || !done) return;
    // A released savepoint's writes now belong to the enclosing level; after the real COMMIT nothing is kept.
    if (event.queryRunner.isTransactionActive && stack.length > 0) stack[stack.length - 1].push(...done);
    else this.levels.delete(event.queryRunner);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    const stack = this.levels.get(event.queryRunner);
    if (!stack) return;
    let undone: Array<{ entity: object; events: object[] }>;
    if (event.queryRunner.isTransactionActive) {
      undone = stack.pop() ?? []; // ROLLBACK TO SAVEPOINT: only that level's writes are gone
    } else {
      undone = stack.flat(); // ROLLBACK: everything written in the transaction is gone
      this.levels.delete(event.queryRunner);
    }
    for (let i = undone.length - 1; i >= 0; i--) restorePendingEvents(undone[i].entity, undone[i].events);
  }

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
    const stack = this.levels.get(qr) ?? [];
    if (stack.length === 0) this.levels.set(qr, stack); // transaction opened before this subscriber was attached
    if (stack.length === 0) stack.push([]);
    stack[stack.length - 1].push({ entity, events });
    if (cached && cached.events === events && cached.count === events.length) {
      await this.writer.insertWith(qr, cached.records);
    } else {
      await this.writer.write(qr, events);
    }
  }
}
