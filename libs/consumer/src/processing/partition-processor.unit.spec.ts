import 'reflect-metadata';
import { IsInt, IsString } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { LockstepHeader, uuidToString, uuidv7Bytes } from '@lockstep/core';
import { ConsumerStoreError, DeadLetterError } from '../core/consumer.errors.js';
import type { ConsumedRecord } from '../core/consumed-record.js';
import { DeadLetterHeader } from '../core/dead-letter-headers.js';
import type { EventRecord } from '../core/record-decoder.js';
import type { ConsumerMetricsPort, EventOutcome } from '../ports/consumer-metrics.port.js';
import type { DeadLetterSink, OutgoingRecord } from '../ports/dead-letter-sink.port.js';
import type { EventStatus, InboxStore, StoreTransaction } from '../ports/inbox-store.port.js';
import type { PartitionBatch } from '../ports/record-source.port.js';
import { PartitionProcessor } from './partition-processor.js';
import type { ProcessorSettings } from './processor-deps.js';

class Deposited {
  @IsString() account!: string;
  @IsInt() cents!: number;
}

/** In-memory store with real transaction semantics: a throw inside `inTransaction` undoes its writes. */
class MemoryStore implements InboxStore {
  inbox = new Set<string>();
  dead = new Set<string>();
  parked = new Map<string, string>();
  offsets = new Map<string, bigint>();
  /** Fail the next N inbox inserts as MySQL would when the connection drops. */
  failInserts = 0;

  async inTransaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    const snapshot = {
      inbox: new Set(this.inbox),
      dead: new Set(this.dead),
      parked: new Map(this.parked),
      offsets: new Map(this.offsets),
    };
    try {
      return await fn({ manager: {} } as StoreTransaction);
    } catch (error) {
      Object.assign(this, snapshot);
      throw error;
    }
  }
  async loadPartition() {
    return { nextOffset: undefined, parked: new Map<string, string>() };
  }
  async insertInbox(_tx: StoreTransaction, id: Buffer) {
    if (this.failInserts > 0) {
      this.failInserts--;
      throw new ConsumerStoreError(
        'could not write the inbox row',
        Object.assign(new Error('gone'), { code: 'PROTOCOL_CONNECTION_LOST' }),
      );
    }
    const hex = id.toString('hex');
    if (this.inbox.has(hex)) return false;
    this.inbox.add(hex);
    return true;
  }
  async storeOffset(_tx: StoreTransaction, topic: string, partition: number, next: bigint) {
    const k = `${topic}/${partition}`;
    if ((this.offsets.get(k) ?? -1n) < next) this.offsets.set(k, next);
  }
  async eventStatus(id: Buffer): Promise<EventStatus> {
    const hex = id.toString('hex');
    return this.dead.has(hex) ? 'dead-lettered' : this.inbox.has(hex) ? 'applied' : 'new';
  }
  async recordDeadLetter(_tx: StoreTransaction, d: { eventId: Buffer }) {
    this.inbox.add(d.eventId.toString('hex'));
    this.dead.add(d.eventId.toString('hex'));
  }
  async resetDeadLetter(_tx: StoreTransaction, id: Buffer) {
    if (this.dead.delete(id.toString('hex'))) this.inbox.delete(id.toString('hex'));
  }
  async park(_tx: StoreTransaction, p: { key: string; headEventId: Buffer | null }) {
    this.parked.set(p.key, p.headEventId?.toString('hex') ?? '');
  }
  async unpark(_tx: StoreTransaction, _topic: string, key: string) {
    this.parked.delete(key);
  }
}

class MemorySink implements DeadLetterSink {
  readonly published: Array<{ topic: string; record: OutgoingRecord }> = [];
  async ensureTopic() {}
  async publish(topic: string, record: OutgoingRecord) {
    this.published.push({ topic, record });
  }
  async close() {}
}

class CountingMetrics implements ConsumerMetricsPort {
  readonly outcomes: EventOutcome[] = [];
  eventHandled(_c: string, _t: string, outcome: EventOutcome) {
    this.outcomes.push(outcome);
  }
  lagObserved() {}
}

const record = (offset: number, account: string, cents: number, id = uuidToString(uuidv7Bytes())): ConsumedRecord => ({
  topic: 't',
  partition: 0,
  offset: String(offset),
  key: Buffer.from(account),
  value: Buffer.from(JSON.stringify({ account, cents })),
  headers: { [LockstepHeader.id]: id, [LockstepHeader.type]: 'bank.deposited', [LockstepHeader.aggregateId]: account },
});

function batchOf(records: ConsumedRecord[]): PartitionBatch & { marked: string[] } {
  const marked: string[] = [];
  return {
    topic: 't',
    partition: 0,
    records,
    marked,
    isActive: () => true,
    heartbeat: async () => undefined,
    seek: () => undefined,
    markProcessed: (offset) => marked.push(offset),
    commit: async () => undefined,
  };
}

function setup(invoke: (d: EventRecord, attempt: number) => Promise<void>, settings: Partial<ProcessorSettings> = {}) {
  const store = new MemoryStore();
  const sink = new MemorySink();
  const metrics = new CountingMetrics();
  const calls: Array<{ account: string; cents: number; attempt: number }> = [];
  const processor = new PartitionProcessor({
    store,
    sink,
    metrics,
    settings: {
      consumer: 'c',
      mode: 'event',
      maxBatchEvents: 100,
      maxPayloadBytes: 1024,
      maxAttempts: 3,
      backoff: { initialMs: 1, maxMs: 1, jitter: 0 },
      unknownEventType: 'skip',
      onDeadLetter: 'park-key',
      deadLetterTopic: (t) => `${t}.dlq`,
      ...settings,
    },
    classFor: (type) => (type === 'bank.deposited' ? Deposited : undefined),
    invoke: async (d, _manager, attempt) => {
      const e = d.event as Deposited;
      calls.push({ account: e.account, cents: e.cents, attempt });
      await invoke(d, attempt);
    },
    logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
  });
  return { processor, store, sink, metrics, calls };
}

describe('PartitionProcessor with fake ports', () => {
  it('applies each event once, skips a duplicate id, marks every offset and stores the next one', async () => {
    const { processor, store, metrics, calls } = setup(async () => undefined);
    const dup = uuidToString(uuidv7Bytes());
    const batch = batchOf([record(0, 'a', 1, dup), record(1, 'a', 2), record(2, 'a', 1, dup)]);
    await processor.processBatch(batch);
    expect(calls.map((c) => c.cents)).toEqual([1, 2]);
    expect(batch.marked).toEqual(['0', '1', '2']);
    expect(store.offsets.get('t/0')).toBe(3n);
    expect(metrics.outcomes).toEqual(['applied', 'applied', 'duplicate']);
  });

  it('dead-letters at once an error that says it is not retriable, and parks the key behind it', async () => {
    const { processor, sink, store, calls } = setup(async (d) => {
      if ((d.event as Deposited).cents === 13) throw new DeadLetterError('never');
    });
    await processor.processBatch(batchOf([record(0, 'a', 13), record(1, 'a', 2), record(2, 'b', 3)]));
    expect(calls.filter((c) => c.cents === 13)).toHaveLength(1); // no retries
    expect(sink.published.map((p) => [p.topic, p.record.headers[DeadLetterHeader.reason]])).toEqual([
      ['t.dlq', 'handler-failed'],
      ['t.dlq', 'parked-behind'],
    ]);
    expect(store.parked.has('a')).toBe(true);
    expect(calls.map((c) => c.account)).toEqual(['a', 'b']); // b flows, a's later event waits in the DLQ
  });

  it('gives an error without the flag, or retriable: true, maxAttempts tries, then dead-letters it', async () => {
    for (const make of [() => new Error('boom'), () => Object.assign(new Error('leader moved'), { retriable: true })]) {
      const { processor, sink, calls } = setup(async () => {
        throw make();
      });
      await processor.processBatch(batchOf([record(0, 'a', 1)]));
      expect(calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
      expect(sink.published).toHaveLength(1);
    }
  });

  it("waits out the store's own failures without counting attempts or dead-lettering", async () => {
    const { processor, store, sink, calls } = setup(async () => undefined);
    store.failInserts = 4; // more than maxAttempts
    await processor.processBatch(batchOf([record(0, 'a', 5)]));
    expect(sink.published).toHaveLength(0);
    expect(calls).toEqual([{ account: 'a', cents: 5, attempt: 1 }]);
    expect(store.offsets.get('t/0')).toBe(1n);
  });

  it('batch mode: a failing run is rolled back and replayed per event; good events apply once', async () => {
    let failOnce = true;
    const { processor, store, sink, calls } = setup(
      async (d) => {
        if ((d.event as Deposited).cents === 3 && failOnce) {
          failOnce = false;
          throw new Error('transient');
        }
      },
      { mode: 'batch' },
    );
    const batch = batchOf([record(0, 'a', 1), record(1, 'b', 2), record(2, 'c', 3), record(3, 'd', 4)]);
    await processor.processBatch(batch);
    expect(sink.published).toHaveLength(0);
    expect(store.inbox.size).toBe(4);
    expect(store.offsets.get('t/0')).toBe(4n);
    // First run: 1, 2, 3 (throws; rolled back). Per event: 1, 2, 3 (attempt 1 again), 4.
    expect(calls.map((c) => c.cents)).toEqual([1, 2, 3, 1, 2, 3, 4]);
  });
});
