import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_PAYLOAD_BYTES, serializeEventPayload } from './outbox-payload.serializer.js';
import { OutboxPayloadError } from './outbox.errors.js';

describe('serializeEventPayload', () => {
  it('is JSON.stringify of the event as UTF-8, byte for byte', () => {
    class Shipped {
      orderId = 'o-1';
      note = 'naïve café 👩‍👩‍👧 e\u0301 \u0000 "quoted" \\ \n';
      amount = '123456789012345678901234567890';
    }
    const event = new Shipped();
    const bytes = serializeEventPayload(event, 'order.shipped');
    expect(bytes.equals(Buffer.from(JSON.stringify({ ...event }), 'utf8'))).toBe(true);
    expect(JSON.parse(bytes.toString('utf8'))).toEqual({ ...event });
  });

  it('honours toJSON and omits undefined fields like JSON.stringify', () => {
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
    const bytes = serializeEventPayload({ at, missing: undefined, n: 1 }, 't');
    expect(bytes.toString()).toBe('{"at":"2026-01-02T03:04:05.006Z","n":1}');
  });

  it('rejects BigInt and cycles with a typed error that does not echo the payload', () => {
    const secret = 'do-not-log-me';
    const big = () => serializeEventPayload({ secret, n: 10n }, 'order.big');
    expect(big).toThrow(OutboxPayloadError);
    expect(big).toThrow(/order\.big.*not serialisable/s);
    try {
      big();
    } catch (error) {
      expect((error as Error).message).not.toContain(secret);
      expect((error as OutboxPayloadError).reason).toBe('unserialisable');
    }
    const cyclic: Record<string, unknown> = { secret };
    cyclic.self = cyclic;
    expect(() => serializeEventPayload(cyclic, 'order.cyclic')).toThrow(OutboxPayloadError);
  });

  it('rejects a payload above the limit, accepts one at the limit', () => {
    const at = { s: 'x'.repeat(100 - '{"s":""}'.length) };
    expect(serializeEventPayload(at, 't', 100).length).toBe(100);
    const over = { s: 'x'.repeat(101 - '{"s":""}'.length) };
    expect(() => serializeEventPayload(over, 't', 100)).toThrow(/101 bytes, above the limit of 100/);
    // multi-byte characters count as bytes, not as string length
    expect(() => serializeEventPayload({ s: 'é'.repeat(50) }, 't', 100)).toThrow(OutboxPayloadError);
  });

  it('accepts a 1 MiB payload under the default limit', () => {
    expect(DEFAULT_MAX_PAYLOAD_BYTES).toBeGreaterThan(1024 * 1024);
    const bytes = serializeEventPayload({ blob: 'a'.repeat(1024 * 1024) }, 't');
    expect(bytes.length).toBe(1024 * 1024 + '{"blob":""}'.length);
  });

  it('rejects a toJSON that does not return an object', () => {
    expect(() => serializeEventPayload({ toJSON: () => 'text' }, 't')).toThrow(/must serialise to a JSON object/);
  });
});
