import { DeadLetterHeader } from './dead-letter-headers.js';
import { keyHashHex, type StoredPartitionState } from './partition-state.js';
import type { RecordEnvelope } from './record-decoder.js';

/**
 * Batch mode's unit of work: consecutive good events of one partition applied in one MySQL
 * transaction. Collects items up to `max`; the caller flushes when `push` says the run is full,
 * and before any record that needs a path of its own (a reject, an unknown type, a parked key,
 * a re-driven copy), so per-partition order is kept.
 */
export class EventRun<T> {
  private items: T[] = [];

  constructor(private readonly max: number) {}

  /** Adds `item`; true when the run is full and must be flushed now. */
  push(item: T): boolean {
    this.items.push(item);
    return this.items.length >= this.max;
  }

  get size(): number {
    return this.items.length;
  }

  /** The collected items, leaving the run empty. */
  take(): T[] {
    const taken = this.items;
    this.items = [];
    return taken;
  }
}

/** A re-driven copy, or an event of a parked key, takes the per-event path (it may release
 * or join a parked key); any other decoded event may join a run. */
export function canJoinRun(state: StoredPartitionState, e: RecordEnvelope): boolean {
  return e.record.headers[DeadLetterHeader.redrivenAt] === undefined && (e.key === null || !state.parked.has(keyHashHex(e.key)));
}
