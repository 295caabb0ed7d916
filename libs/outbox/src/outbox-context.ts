import { AsyncLocalStorage } from 'node:async_hooks';

/** What the current unit of work says about the events it records. */
export interface OutboxContextValue {
  /** Shared by every event of one business flow (`lockstep-correlation-id`). */
  correlationId?: string;
  /** Id of the event or request that caused these events (`lockstep-causation-id`). */
  causationId?: string;
  /** W3C trace context to use when no OpenTelemetry span is active. */
  traceparent?: string;
  tracestate?: string;
  /** Extra headers added to every event recorded inside this context. */
  headers?: Record<string, string>;
}

const storage = new AsyncLocalStorage<OutboxContextValue>();

/**
 * Request-scoped metadata for recorded events, carried by AsyncLocalStorage so it reaches the
 * TypeORM subscriber without threading it through every call. Apps set it per HTTP request;
 * the consumer sets `causationId` to the id of the event it is handling.
 */
export const OutboxContext = {
  /** Runs `fn` with `value` merged over the enclosing context (inner values win). */
  run<R>(value: OutboxContextValue, fn: () => R): R {
    const outer = storage.getStore();
    const merged: OutboxContextValue = outer ? { ...outer, ...value, headers: { ...outer.headers, ...value.headers } } : value;
    return storage.run(merged, fn);
  },
  /** The active context, if any. */
  current(): OutboxContextValue | undefined {
    return storage.getStore();
  },
};
