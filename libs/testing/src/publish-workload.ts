import { readAllCommitted, type ReadRecord } from './kafka-test-kit.js';
import { checkExactlyOnceInOrder } from './relay-test-kit.js';

/** A record of the workload, in the shape every publish path under test takes. */
export interface WorkloadRecord {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export interface PublishWorkloadOptions {
  /** Comma-separated bootstrap servers for the independent reader (kcat). */
  brokers: string;
  topic: string;
  transactions: number;
  recordsPerTransaction: number;
  /** Distinct keys, spread round-robin: with several partitions every transaction spans them all. */
  keys: number;
  /** Bytes per value, padding included. Default 100. */
  valueBytes?: number;
  /** Publishes one transaction's records atomically (resolves once committed). */
  publishTransaction: (records: WorkloadRecord[], index: number) => Promise<void>;
  /** Runs before transaction `index` is published (fault injection). */
  before?: (index: number) => Promise<void>;
}

export interface PublishWorkloadReport {
  sent: number;
  read: number;
  duplicates: number;
  missing: number;
  unexpected: number;
  outOfOrder: number;
  seconds: number;
  recordsPerSecond: number;
  /** What the reader saw, for further checks. */
  records: ReadRecord[];
}

/**
 * The plain-client reproduction of the cluster duplicate (docs/kafka-client.md): transactions of
 * many keyed records spread over every partition, published one after the other, then read back
 * `read_committed` by kcat and checked per id (exactly once) and per key (`seq` increasing).
 */
export async function runPublishWorkload(o: PublishWorkloadOptions): Promise<PublishWorkloadReport> {
  const expected = new Set<string>();
  const seq = new Map<string, number>();
  const pad = 'x'.repeat(Math.max(0, (o.valueBytes ?? 100) - 40));
  const started = performance.now();
  for (let t = 0; t < o.transactions; t++) {
    await o.before?.(t);
    const records: WorkloadRecord[] = [];
    for (let i = 0; i < o.recordsPerTransaction; i++) {
      const key = `k-${(t * o.recordsPerTransaction + i) % o.keys}`;
      const n = (seq.get(key) ?? 0) + 1;
      seq.set(key, n);
      const id = `${t}-${i}`;
      expected.add(id);
      records.push({ topic: o.topic, key, value: Buffer.from(JSON.stringify({ seq: n, pad })), headers: { 'lockstep-id': id } });
    }
    await o.publishTransaction(records, t);
  }
  const seconds = (performance.now() - started) / 1000;
  const read = await readAllCommitted([o.topic], { brokers: o.brokers });
  const check = checkExactlyOnceInOrder(read, expected);
  const copies = new Map<string, number>();
  for (const r of read) copies.set(r.headers['lockstep-id'] ?? '', (copies.get(r.headers['lockstep-id'] ?? '') ?? 0) + 1);
  const duplicateRecords = [...copies.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);
  return {
    sent: expected.size,
    read: read.length,
    duplicates: duplicateRecords,
    missing: check.missing.length,
    unexpected: check.unexpected.length,
    outOfOrder: check.outOfOrder.length,
    seconds,
    recordsPerSecond: expected.size / seconds,
    records: read,
  };
}
