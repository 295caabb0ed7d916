import { getOutboxEventMetadata } from '@lockstep/core';
import { OutboxEventDefinitionError } from './outbox.errors.js';

/**
 * Pending events live in a WeakMap keyed by the entity, not on the entity: TypeORM never
 * sees them as a column, `JSON.stringify(entity)` does not include them, and they disappear
 * with the entity.
 */
const pending = new WeakMap<object, object[]>();

/** Records `event` on `entity`; the OutboxSubscriber writes it when the entity is saved. */
export function recordEvent(entity: object, event: object): void {
  if (!event || typeof event !== 'object' || !getOutboxEventMetadata(event)) {
    throw new OutboxEventDefinitionError(
      'record() was given something that is not an outbox event',
      'pass an instance of a class decorated with @OutboxEvent({ type, aggregate, aggregateId })',
    );
  }
  const list = pending.get(entity);
  if (list) list.push(event);
  else pending.set(entity, [event]);
}

/** Events recorded on `entity` and not written yet, in recording order. */
export function pendingEventsOf(entity: object): readonly object[] {
  return pending.get(entity) ?? [];
}

/** Removes and returns the pending events of `entity`. */
export function takePendingEvents(entity: object): object[] {
  const list = pending.get(entity) ?? [];
  pending.delete(entity);
  return list;
}

/**
 * Puts events back in front of the entity's pending events: their transaction rolled back,
 * so a retried save of the same entity must write them again.
 */
export function restorePendingEvents(entity: object, events: readonly object[]): void {
  if (events.length === 0) return;
  pending.set(entity, [...events, ...(pending.get(entity) ?? [])]);
}

/**
 * Base class for entities that record domain events. Inside a transaction, `repository.save()`
 * (insert, update) and `remove()` of the entity write its recorded events to the outbox in the
 * same transaction; outside one they fail with OutboxNotInTransactionError before any SQL runs.
 *
 * ```ts
 * @Entity() class Order extends RecordsEvents {
 *   place() { this.status = 'placed'; this.record(new OrderPlaced(...)); }
 * }
 * ```
 * For an entity that already extends another class use `RecordsEventsMixin(Base)` or the
 * `recordEvent(entity, event)` function.
 */
export abstract class RecordsEvents {
  /** Queues `event`; it is written with this entity's next insert/update/remove. */
  protected record(event: object): void {
    recordEvent(this, event);
  }

  /** Events recorded and not yet written. */
  recordedEvents(): readonly object[] {
    return pendingEventsOf(this);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- TypeScript requires `...args: any[]` of a mixin's base constructor (TS2545)
type Constructor<T = object> = abstract new (...args: any[]) => T;

/**
 * `RecordsEvents` for entities that already extend a base class. The declared return type names
 * `RecordsEvents`, so declaration files can describe the protected `record()` (TS4094 otherwise).
 */
export function RecordsEventsMixin<TBase extends Constructor>(Base: TBase): TBase & Constructor<RecordsEvents> {
  abstract class WithRecordedEvents extends Base {
    protected record(event: object): void {
      recordEvent(this, event);
    }

    recordedEvents(): readonly object[] {
      return pendingEventsOf(this);
    }
  }
  return WithRecordedEvents as unknown as TBase & Constructor<RecordsEvents>;
}
