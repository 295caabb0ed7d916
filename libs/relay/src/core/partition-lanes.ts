import type { RelayRecord } from './record-router.js';

/** The records of one topic-partition, in source order: what one produce request at a time may carry. */
export interface PartitionLane {
  topic: string;
  partition: number;
  records: RelayRecord[];
}

/** Picks a record's partition (the Kafka client's own key hash, so keys land where any producer would put them). */
export type PartitionOf = (topic: string, key: string) => number;

/**
 * Splits a batch into one lane per topic-partition, keeping source order within each lane.
 *
 * Why lanes: kafkajs 2.2.4 retries a multi-broker send as a whole and re-sends the part of a
 * broker whose first request is still in flight, with new sequence numbers, so the broker
 * stores it twice inside the transaction (docs/kafka-client.md). A send that targets one
 * partition has one request in flight at a time, so a retry can only repeat a request that
 * failed, with the same sequence numbers: the broker drops it if it had written it after all.
 */
export function partitionLanes(records: readonly RelayRecord[], partitionOf: PartitionOf): PartitionLane[] {
  const lanes = new Map<string, PartitionLane>();
  for (const record of records) {
    const partition = partitionOf(record.topic, record.key);
    const id = `${record.topic}\u0000${partition}`;
    let lane = lanes.get(id);
    if (!lane) {
      lane = { topic: record.topic, partition, records: [] };
      lanes.set(id, lane);
    }
    lane.records.push(record);
  }
  return [...lanes.values()];
}

/** Bytes Kafka counts against max.message.bytes for one record, near enough: value, key and headers. */
export function recordBytes(r: RelayRecord): number {
  let n = r.value.length + Buffer.byteLength(r.key);
  for (const [k, v] of Object.entries(r.headers)) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

/** Consecutive chunks of `records` that each stay under `maxBytes` (a record larger than that is a chunk of its own). */
export function chunkByBytes(records: readonly RelayRecord[], maxBytes: number): RelayRecord[][] {
  const chunks: RelayRecord[][] = [];
  let chunk: RelayRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    // 64 bytes: Kafka's per-record framing (offset delta, timestamp delta, lengths, attributes).
    const size = recordBytes(record) + 64;
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(record);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
