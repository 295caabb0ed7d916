import { describe, expect, it } from 'vitest';
import type { ReadRecord } from './kafka-test-kit.js';
import { checkExactlyOnceInOrder } from './relay-test-kit.js';

const record = (id: string, key: string, seq: number, partition: number, offset: number): ReadRecord => ({
  topic: 't',
  partition,
  offset: String(offset),
  key,
  value: Buffer.from(JSON.stringify({ seq })),
  headers: { 'lockstep-id': id },
});

describe('checkExactlyOnceInOrder (the I3 + I4 checker of the fault tests)', () => {
  it('passes one key in order on one partition', () => {
    const check = checkExactlyOnceInOrder(
      [record('a', 'k', 1, 0, 0), record('b', 'k', 2, 0, 1), record('c', 'j', 1, 1, 0)],
      new Set(['a', 'b', 'c']),
    );
    expect(check).toEqual({ missing: [], duplicates: [], unexpected: [], outOfOrder: [], splitKeys: [] });
  });

  it('fails a key spread over two partitions even when each partition is in order', () => {
    const check = checkExactlyOnceInOrder([record('a', 'k', 1, 0, 0), record('b', 'k', 2, 1, 0)], new Set(['a', 'b']));
    expect(check.splitKeys).toEqual(['t/k: on partitions 0, 1']);
    expect(check.outOfOrder).toEqual(['t/k: on partitions 0, 1']);
  });

  it('fails a reordering, a duplicate, a loss and an unexpected record', () => {
    const check = checkExactlyOnceInOrder(
      [record('b', 'k', 2, 0, 0), record('a', 'k', 1, 0, 1), record('a', 'k', 1, 0, 2), record('x', 'k', 3, 0, 3)],
      new Set(['a', 'b', 'c']),
    );
    expect(check.outOfOrder).toEqual(['t/k: 2 then 1', 't/k: 1 then 1']);
    expect(check.duplicates).toEqual(['a']);
    expect(check.missing).toEqual(['c']);
    expect(check.unexpected).toEqual(['x']);
  });
});
