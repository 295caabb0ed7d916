import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';
import { DeadLetterHeader, deadLetterHeaders, redriveHeaders } from './dead-letter-headers.js';
import { safeJsonParse } from './safe-json.js';

describe('safeJsonParse', () => {
  it('parses a JSON object', () => {
    expect(safeJsonParse(Buffer.from('{"a":1,"b":{"c":"x"}}'))).toEqual({ ok: true, value: { a: 1, b: { c: 'x' } } });
  });

  it('rejects __proto__ at any depth without polluting anything', () => {
    const top = safeJsonParse('{"__proto__":{"polluted":true}}');
    expect(top).toMatchObject({ ok: false, reason: 'forbidden-key' });
    const deep = safeJsonParse('{"a":[{"b":{"constructor":{"prototype":{"polluted":true}}}}]}');
    expect(deep).toMatchObject({ ok: false, reason: 'forbidden-key' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports malformed JSON and non-objects as values, never throws', () => {
    expect(safeJsonParse('{"a":')).toMatchObject({ ok: false, reason: 'malformed-json' });
    expect(safeJsonParse(Buffer.from([0xff, 0xfe]))).toMatchObject({ ok: false, reason: 'malformed-json' });
    const leaky = safeJsonParse('{"iban":"DE89370400440532013000",oops}');
    expect(leaky).toMatchObject({ ok: false, reason: 'malformed-json' });
    expect(JSON.stringify(leaky)).not.toContain('DE89');
    expect(safeJsonParse('[1,2]')).toMatchObject({ ok: false, reason: 'not-an-object' });
    expect(safeJsonParse('null')).toMatchObject({ ok: false, reason: 'not-an-object' });
  });
});

describe('backoffDelay', () => {
  it('grows exponentially and is capped', () => {
    const noJitter = { initialMs: 100, maxMs: 1000, jitter: 0 };
    expect([1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, noJitter))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('jitter only shortens, by at most the given fraction', () => {
    expect(backoffDelay(1, { initialMs: 1000, jitter: 0.2 }, () => 0)).toBe(1000);
    expect(backoffDelay(1, { initialMs: 1000, jitter: 0.2 }, () => 0.999999)).toBe(800);
  });
});

describe('dead-letter headers', () => {
  it('adds the dead-letter headers over the original ones and strips stale ones', () => {
    const at = new Date('2026-11-24T20:00:00.000Z');
    const h = deadLetterHeaders(
      { 'lockstep-id': 'id-1', 'lockstep-dlq-reason': 'old', traceparent: 'tp' },
      { reason: 'handler-failed', error: 'Error: boom\n  at x', topic: 't', partition: 2, offset: '41', consumer: 'c', at },
    );
    expect(h).toEqual({
      'lockstep-id': 'id-1',
      traceparent: 'tp',
      [DeadLetterHeader.error]: 'Error: boom at x',
      [DeadLetterHeader.reason]: 'handler-failed',
      [DeadLetterHeader.originalTopic]: 't',
      [DeadLetterHeader.originalPartition]: '2',
      [DeadLetterHeader.originalOffset]: '41',
      [DeadLetterHeader.consumer]: 'c',
      [DeadLetterHeader.at]: '2026-11-24T20:00:00.000Z',
    });
  });

  it('re-drive keeps the original headers only, plus where it came from', () => {
    const at = new Date('2026-11-24T21:00:00.000Z');
    const h = redriveHeaders(
      { 'lockstep-id': 'id-1', [DeadLetterHeader.reason]: 'x', [DeadLetterHeader.redrivenAt]: 'old' },
      't.dlq:0:5',
      at,
    );
    expect(h).toEqual({
      'lockstep-id': 'id-1',
      [DeadLetterHeader.redrivenAt]: at.toISOString(),
      [DeadLetterHeader.redrivenFrom]: 't.dlq:0:5',
    });
  });
});
