import type { ConsumedRecord } from '../core/consumed-record.js';

/**
 * What the consumer needs from Kafka to read, as a small port of our own: kafkajs (in
 * maintenance mode) stays behind it in `adapters/kafkajs/`.
 */

/** Records of one partition, in offset order, handed over one batch at a time. Contract:
 * the source never hands two batches of the same partition concurrently. */
export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: ConsumedRecord[];
  /** False once the member lost the partition or must rejoin the group (rebalance), a seek
   * was requested, or the source is stopping: stop before the next record, do not mark it
   * processed. */
  isActive(): boolean;
  /** Keeps the membership alive. When it fails because the group rebalances, `isActive()`
   * turns false and the source rejoins once the batch returns: callers may ignore its error. */
  heartbeat(): Promise<void>;
  /** Continue the partition from `offset` (this batch is then dropped). */
  seek(offset: bigint): void;
  /** The record at `offset` and those before it are durably handled (in MySQL). */
  markProcessed(offset: string): void;
  /** Best-effort commit of the marked offsets to Kafka (MySQL holds the real position). */
  commit(): Promise<void>;
}

export interface RecordSource {
  /** Waits for the topics to exist (see the adapter's options), joins the group and hands
   * batches to `onBatch`; resolves once consuming started. */
  start(onBatch: (batch: PartitionBatch) => Promise<void>): Promise<void>;
  /** Called after each (re)assignment of partitions to this member, with them (topic → partitions). */
  onAssignment(listener: (assigned: Record<string, number[]>) => void): void;
  /** False once the source stopped fetching for good on its own (the Kafka client crashed and
   * will not restart). Optional: a source without it counts as running while started. */
  isRunning?(): boolean;
  /** Stops fetching, waits for the batches in flight, leaves the group. */
  stop(): Promise<void>;
}
