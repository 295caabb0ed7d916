import { describe, expect, it } from 'vitest';
import { javaStringHashCode, transactionStatePartitionFor } from './transaction-state-partition.js';

// Expected hashes printed by Java 17's String.hashCode (jshell).
describe('transactionStatePartitionFor', () => {
  it('hashes like Java, including overflow and non-ASCII code units', () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('relay-orders-0')).toBe(677320452);
    expect(javaStringHashCode('lockstep-tx-é😀')).toBe(-362389159);
  });

  it('maps Integer.MIN_VALUE to partition 0, as Kafka Utils.abs does', () => {
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    expect(transactionStatePartitionFor('polygenelubricants', 3)).toBe(0);
  });

  it('takes a negative hash modulo the partition count', () => {
    expect(transactionStatePartitionFor('lockstep-tx-é😀', 3)).toBe(362389159 % 3);
    expect(transactionStatePartitionFor('hello', 50)).toBe(99162322 % 50);
  });
});
