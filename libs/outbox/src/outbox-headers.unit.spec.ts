import { propagation, type TextMapPropagator } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { LockstepHeader } from '@lockstep/core';
import { OutboxContext } from './outbox-context.js';
import { buildOutboxHeaders } from './outbox-headers.builder.js';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** A propagator that always injects one fixed trace context, standing in for the OTel SDK's W3C propagator. */
const fixedPropagator: TextMapPropagator = {
  inject(_ctx, carrier, setter) {
    setter.set(carrier, 'traceparent', TRACEPARENT);
    setter.set(carrier, 'tracestate', 'vendor=1');
  },
  extract: (ctx) => ctx,
  fields: () => ['traceparent', 'tracestate'],
};

describe('buildOutboxHeaders', () => {
  afterEach(() => propagation.disable());

  it('always carries the schema version, nothing else without a context', () => {
    expect(buildOutboxHeaders(3, undefined, undefined)).toEqual({ [LockstepHeader.schemaVersion]: '3' });
  });

  it('takes correlation, causation, trace and app headers from the OutboxContext', () => {
    const headers = OutboxContext.run(
      { correlationId: 'c-1', causationId: 'e-0', traceparent: TRACEPARENT, headers: { tenant: 'acme' } },
      () => buildOutboxHeaders(1, OutboxContext.current(), undefined),
    );
    expect(headers).toEqual({
      tenant: 'acme',
      [LockstepHeader.correlationId]: 'c-1',
      [LockstepHeader.causationId]: 'e-0',
      [LockstepHeader.traceparent]: TRACEPARENT,
      [LockstepHeader.schemaVersion]: '1',
    });
  });

  it('lets per-call options win over the context, and nested contexts merge', () => {
    const headers = OutboxContext.run({ correlationId: 'outer', headers: { a: '1', b: '1' } }, () =>
      OutboxContext.run({ causationId: 'inner', headers: { b: '2' } }, () =>
        buildOutboxHeaders(1, OutboxContext.current(), { correlationId: 'call', headers: { c: '3' } }),
      ),
    );
    expect(headers).toMatchObject({
      a: '1',
      b: '2',
      c: '3',
      [LockstepHeader.correlationId]: 'call',
      [LockstepHeader.causationId]: 'inner',
    });
    expect(OutboxContext.current()).toBeUndefined();
  });

  it('never lets app headers override the headers the relay derives from columns', () => {
    const headers = buildOutboxHeaders(1, undefined, {
      headers: { [LockstepHeader.id]: 'forged', [LockstepHeader.type]: 'forged', 'x-ok': 'yes' },
    });
    expect(headers).toEqual({ 'x-ok': 'yes', [LockstepHeader.schemaVersion]: '1' });
  });

  it('prefers the active OpenTelemetry context when a propagator is registered', () => {
    propagation.setGlobalPropagator(fixedPropagator);
    const headers = OutboxContext.run({ traceparent: '00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-00' }, () =>
      buildOutboxHeaders(1, OutboxContext.current(), undefined),
    );
    expect(headers[LockstepHeader.traceparent]).toBe(TRACEPARENT);
    expect(headers[LockstepHeader.tracestate]).toBe('vendor=1');
  });
});
