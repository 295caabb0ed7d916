import { createHash } from 'node:crypto';

/** What MySQL remembers about one partition for this consumer group. */
export interface StoredPartitionState {
  /** Next offset to apply, committed with the read model; undefined if never stored. */
  nextOffset: bigint | undefined;
  /** Parked keys of this partition: key hash (hex) → head event id (hex, '' if none). */
  parked: Map<string, string>;
}

/** The stored state as this member works on it. `checked`: the first batch after loading was
 * compared with `nextOffset` (and sought there if Kafka's position was elsewhere). */
export interface PartitionState extends StoredPartitionState {
  checked: boolean;
}

/** SHA-256 of a record key: parked keys are stored and looked up by it. */
export const keyHash = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/** Hex of `keyHash(key)`, the form `StoredPartitionState.parked` is keyed by. */
export const keyHashHex = (key: string): string => keyHash(key).toString('hex');

/** The record at `offset` is done: the partition continues after it (never moves back). */
export function advancePast(state: StoredPartitionState, offset: string): void {
  const next = BigInt(offset) + 1n;
  if (state.nextOffset === undefined || next > state.nextOffset) state.nextOffset = next;
}
