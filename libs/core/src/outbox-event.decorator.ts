import 'reflect-metadata';

/** What `@OutboxEvent()` declares about an event class. */
export interface OutboxEventOptions<T = Record<string, unknown>> {
  /** Event type, e.g. `order.placed`: routes to handlers (`lockstep-type` header). */
  type: string;
  /** Aggregate type, e.g. `order`: routes to the topic (`<prefix>.<aggregate>` by default). */
  aggregate: string;
  /**
   * Where the aggregate id comes from: a property name of the event, or a function. It becomes
   * the Kafka key, so all events of one aggregate keep their order. Default: `aggregateId`.
   */
  aggregateId?: (keyof T & string) | ((event: T) => string);
  /** Schema version of the payload (`lockstep-schema-version` header). Default 1. */
  schemaVersion?: number;
}

export interface OutboxEventMetadata {
  type: string;
  aggregate: string;
  aggregateIdOf: (event: object) => string;
  schemaVersion: number;
}

/** An `@OutboxEvent()` class, as a class decorator receives it. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- ClassDecorator's own type for its target; a construct signature would refuse event classes with a private or protected constructor
type EventClass = Function;

const OUTBOX_EVENT = Symbol.for('lockstep:outbox-event');
const byType = new Map<string, EventClass>();

/**
 * Marks a class as an event that can be recorded in the outbox. Combine it with
 * class-validator decorators on the fields: an invalid event fails the whole transaction.
 *
 * ```ts
 * @OutboxEvent({ type: 'order.placed', aggregate: 'order', aggregateId: 'orderId' })
 * export class OrderPlaced { @IsUUID() orderId!: string; @IsInt() @Min(1) totalCents!: number; }
 * ```
 */
export function OutboxEvent<T = Record<string, unknown>>(options: OutboxEventOptions<T>): ClassDecorator {
  return (target) => {
    const source = options.aggregateId ?? 'aggregateId';
    const aggregateIdOf =
      typeof source === 'function'
        ? (event: object) => String((source as (e: object) => unknown)(event))
        : (event: object) => {
            const value = (event as Record<string, unknown>)[source];
            if (value === undefined || value === null || value === '') return '';
            // A string or number id, or an id object with its own toString().
            const id: { toString(): string } = value;
            return String(id);
          };
    const metadata: OutboxEventMetadata = {
      type: options.type,
      aggregate: options.aggregate,
      aggregateIdOf,
      schemaVersion: options.schemaVersion ?? 1,
    };
    Reflect.defineMetadata(OUTBOX_EVENT, metadata, target);
    const previous = byType.get(options.type);
    if (previous && previous !== target && previous.name !== target.name) {
      throw new Error(`@OutboxEvent type "${options.type}" is declared twice: by ${previous.name} and ${target.name}`);
    }
    byType.set(options.type, target);
  };
}

/** The metadata of an `@OutboxEvent` class (or instance), or undefined if it is not one. */
export function getOutboxEventMetadata(target: object): OutboxEventMetadata | undefined {
  const ctor = typeof target === 'function' ? target : target.constructor;
  return Reflect.getMetadata(OUTBOX_EVENT, ctor) as OutboxEventMetadata | undefined;
}

/** The event class declared for a type, if any was loaded. */
export function outboxEventClassFor(type: string): EventClass | undefined {
  return byType.get(type);
}
