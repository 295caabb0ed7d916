import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { kafkaBrokersFromEnv } from '@lockstep/core';
import { parseValue, type WrittenEvent } from './data.js';
import { nowUs, sleep } from './util.js';

/** Fetch long-poll bound of the measuring reader (kafkajs `maxWaitTimeInMs`). */
export const READER_MAX_WAIT_MS = Number(process.env.BENCH_READER_MAX_WAIT_MS ?? 100);

/**
 * The measuring reader: a kafkajs consumer with `readUncommitted: false` (read_committed), so an
 * event counts only once its Kafka transaction (if any) committed. It checks every system's
 * output the same way: by the event id inside the value (missing, duplicates, per-key order).
 */
export class BenchReader {
  private consumer: Consumer | null = null;
  private readonly expected = new Map<string, number>(); // eventId -> writtenAtUs
  private readonly seen = new Map<string, number>(); // eventId -> latency µs
  private readonly lastSeqByKey = new Map<string, number>();
  private readonly markers = new Set<string>();
  duplicates = 0;
  orderViolations = 0;
  foreign = 0;
  firstAtUs = 0;
  lastAtUs = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly topic: string) {}

  expect(events: Iterable<WrittenEvent>): void {
    for (const e of events) this.expected.set(e.eventId, e.writtenAtUs);
  }

  expectOne(e: WrittenEvent): void {
    this.expected.set(e.eventId, e.writtenAtUs);
  }

  get count(): number {
    return this.seen.size;
  }

  get expectedCount(): number {
    return this.expected.size;
  }

  missing(): number {
    let n = 0;
    for (const id of this.expected.keys()) if (!this.seen.has(id)) n++;
    return n;
  }

  /** Latencies (ms, sorted) of the given events that were seen. */
  latenciesMs(ids: Iterable<string>): number[] {
    const out: number[] = [];
    for (const id of ids) {
      const l = this.seen.get(id);
      if (l !== undefined) out.push(l / 1000);
    }
    return out.sort((a, b) => a - b);
  }

  async start(): Promise<void> {
    const kafka = new Kafka({
      clientId: 'lockstep-bench-reader',
      brokers: kafkaBrokersFromEnv(process.env),
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({
      groupId: `bench-reader-${this.topic}`,
      readUncommitted: false,
      maxBytes: 64 * 1024 * 1024,
      maxBytesPerPartition: 16 * 1024 * 1024,
      maxWaitTimeInMs: READER_MAX_WAIT_MS,
      sessionTimeout: 30_000,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const at = nowUs();
        for (const m of batch.messages) this.onValue(m.value, m.key?.toString('latin1') ?? '', at);
        if (this.waiters.length) for (const w of this.waiters.splice(0)) w();
      },
    });
    await joined;
  }

  private onValue(value: Buffer | null, key: string, at: number): void {
    const v = value ? parseValue(value) : null;
    if (!v) {
      this.foreign++;
      return;
    }
    const writtenAt = this.expected.get(v.eventId);
    if (writtenAt === undefined) {
      this.markers.add(v.eventId);
      return;
    }
    if (this.seen.has(v.eventId)) {
      this.duplicates++;
      return;
    }
    this.seen.set(v.eventId, at - writtenAt);
    if (this.firstAtUs === 0) this.firstAtUs = at;
    this.lastAtUs = at;
    const last = this.lastSeqByKey.get(key);
    if (last !== undefined && v.seq < last) this.orderViolations++;
    this.lastSeqByKey.set(key, v.seq);
  }

  hasMarker(id: string): boolean {
    return this.markers.has(id);
  }

  /** Resolves once `predicate` holds (checked after each batch), or false after `timeoutMs`. */
  async waitUntil(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await Promise.race([new Promise<void>((resolve) => this.waiters.push(resolve)), sleep(Math.min(left, 500))]);
    }
    return true;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = null;
  }
}
