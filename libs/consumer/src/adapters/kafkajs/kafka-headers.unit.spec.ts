import { describe, expect, it } from 'vitest';
import { headersToStrings } from './kafka-headers.js';

describe('headersToStrings', () => {
  it('turns kafkajs headers into strings, last value of a repeated header wins', () => {
    const h = headersToStrings({ a: Buffer.from('x'), b: 'y', c: [Buffer.from('1'), Buffer.from('2')], d: undefined });
    expect({ ...h }).toEqual({ a: 'x', b: 'y', c: '2' });
    expect(Object.getPrototypeOf(h)).toBeNull();
  });
});
