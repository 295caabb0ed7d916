import { context as otelContext, propagation } from '@opentelemetry/api';
import { LockstepHeader } from '@lockstep/core';
import type { OutboxContextValue } from './outbox-context.js';

/** Per-call metadata accepted by `publish()` / `OutboxWriter.write()`. */
export interface OutboxPublishOptions {
  /** Overrides the context's correlation id for these events. */
  correlationId?: string;
  /** Overrides the context's causation id for these events. */
  causationId?: string;
  /** App headers for these events (win over the context's headers). */
  headers?: Record<string, string>;
}

/** Headers the row's own headers may not override: the relay derives them from the row's columns. */
const RESERVED = new Set<string>([
  LockstepHeader.id,
  LockstepHeader.type,
  LockstepHeader.aggregateType,
  LockstepHeader.aggregateId,
  LockstepHeader.occurredAt,
]);

/**
 * The row's `headers` JSON (string -> string): app headers, then correlation/causation ids,
 * W3C trace context and the schema version. Trace context comes from the active
 * OpenTelemetry context when a propagator is registered, else from the OutboxContext.
 */
export function buildOutboxHeaders(
  schemaVersion: number,
  ctx: OutboxContextValue | undefined,
  options: OutboxPublishOptions | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const source of [ctx?.headers, options?.headers]) {
    for (const [key, value] of Object.entries(source ?? {})) {
      if (RESERVED.has(key.toLowerCase())) continue; // the relay sets these from the columns
      if (typeof value !== 'string') continue;
      headers[key] = value;
    }
  }
  const correlationId = options?.correlationId ?? ctx?.correlationId;
  const causationId = options?.causationId ?? ctx?.causationId;
  if (correlationId) headers[LockstepHeader.correlationId] = correlationId;
  if (causationId) headers[LockstepHeader.causationId] = causationId;

  const carrier: Record<string, string> = {};
  propagation.inject(otelContext.active(), carrier);
  const traceparent = carrier[LockstepHeader.traceparent] ?? ctx?.traceparent;
  const tracestate = carrier[LockstepHeader.traceparent] ? carrier[LockstepHeader.tracestate] : ctx?.tracestate;
  if (traceparent) headers[LockstepHeader.traceparent] = traceparent;
  if (tracestate) headers[LockstepHeader.tracestate] = tracestate;

  headers[LockstepHeader.schemaVersion] = String(schemaVersion);
  return headers;
}
