import { describe, expect, it } from 'vitest';
import { uuidToBytes, uuidToString, uuidv7Bytes } from './uuidv7.js';

describe('uuidv7', () => {
  it('is version 7, variant 10, and carries the time', () => {
    const now = Date.UTC(2026, 10, 24);
    const id = uuidv7Bytes(now);
    expect(id.length).toBe(16);
    expect(id[6] >> 4).toBe(7);
    expect(id[8] >> 6).toBe(2);
    expect(id.readUIntBE(0, 6)).toBeGreaterThanOrEqual(now);
  });

  it('sorts in creation order within one millisecond', () => {
    const now = Date.now() + 10_000;
    const ids = Array.from({ length: 1000 }, () => uuidv7Bytes(now));
    const sorted = [...ids].sort(Buffer.compare);
    expect(sorted).toEqual(ids);
  });

  it('round-trips through its string form', () => {
    const id = uuidv7Bytes();
    expect(uuidToBytes(uuidToString(id))).toEqual(Buffer.from(id));
    expect(() => uuidToBytes('nope')).toThrow(TypeError);
  });
});
