/**
 * Which `__transaction_state` partition holds a transactional id, computed the way the
 * broker does (kafka.coordinator.transaction.TransactionStateManager.partitionFor:
 * `Utils.abs(transactionalId.hashCode) % transactionTopicPartitionCount`). The leader of that
 * partition is the id's transaction coordinator. kafkajs exposes no FindCoordinator call, so
 * tests that want to kill "the coordinator" find it this way.
 */
export function transactionStatePartitionFor(transactionalId: string, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1)
    throw new Error(`partition count must be a positive integer, got ${partitionCount}`);
  return kafkaAbs(javaStringHashCode(transactionalId)) % partitionCount;
}

/** Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, in 32-bit overflow arithmetic. */
export function javaStringHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

/** Kafka's Utils.abs: unlike Math.abs in Java, it maps Integer.MIN_VALUE to 0 (not to itself, a negative number). */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}
