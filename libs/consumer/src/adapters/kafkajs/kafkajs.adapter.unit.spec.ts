import type { Kafka } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import type { PartitionBatch } from '../../ports/record-source.port.js';
import { KafkajsDeadLetterSink } from './kafkajs-dead-letter-sink.js';
import { KafkajsRecordSource } from './kafkajs-record-source.js';

/** What the adapter gets from kafkajs, faked: the real thing runs in the fault tests. */
function fakeConsumerKafka() {
  const listeners = new Map<string, (event: { payload: unknown }) => void>();
  let eachBatch: ((payload: unknown) => Promise<void>) | undefined;
  const consumer = {
    events: { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' },
    on: (name: string, listener: (event: { payload: unknown }) => void) => listeners.set(name, listener),
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (config: { eachBatch: (payload: unknown) => Promise<void> }) => {
      eachBatch = config.eachBatch;
    },
    seek: () => undefined,
    disconnect: async () => undefined,
  };
  return {
    // The topics exist: the wait for missing topics returns at once.
    kafka: {
      consumer: () => consumer,
      admin: () => ({ connect: async () => undefined, listTopics: async () => ['t'], disconnect: async () => undefined }),
    } as unknown as Kafka,
    join: (assigned: Record<string, number[]>) =>
      listeners.get('consumer.group_join')!({ payload: { memberAssignment: assigned } }),
    /** Runs kafkajs' eachBatch for `partition` with 3 records and the given heartbeat. */
    batch: (partition: number, heartbeat: () => Promise<void>) =>
      eachBatch!({
        batch: {
          topic: 't',
          partition,
          messages: [0, 1, 2].map((o) => ({ offset: String(o), key: null, value: Buffer.from('{}'), headers: {} })),
        },
        heartbeat,
        isRunning: () => true,
        isStale: () => false,
        resolveOffset: () => undefined,
        commitOffsetsIfNecessary: async () => undefined,
        uncommittedOffsets: () => ({ topics: [] }),
      }),
  };
}

const rebalancing = () =>
  Object.assign(new Error('The group is rebalancing, so a rejoin is needed'), { type: 'REBALANCE_IN_PROGRESS' });
const options = {
  groupId: 'g',
  topics: ['t'],
  fromBeginning: true,
  partitionsConcurrency: 3,
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  topicWaitMs: 0,
  log: () => undefined,
};

describe('KafkajsRecordSource and a failed heartbeat', () => {
  it('stops every batch before its next record and hands the error back to kafkajs, until the member has joined again', async () => {
    const fake = fakeConsumerKafka();
    const source = new KafkajsRecordSource(fake.kafka, options);
    const applied: string[] = [];
    let pending: Array<() => void> = [];
    // A processor like the real one: checks isActive() before each record, heartbeats after it
    // and ignores the heartbeat's error (the source acts on it).
    await source.start(async (b: PartitionBatch) => {
      for (const r of b.records) {
        if (!b.isActive()) break;
        applied.push(`${r.partition}@${r.offset}`);
        if (r.partition === 1) await new Promise<void>((resolve) => pending.push(resolve)); // still busy when partition 0's heartbeat fails
        await b.heartbeat().catch(() => undefined);
      }
    });

    const one = fake.batch(1, async () => undefined);
    await vi.waitFor(() => expect(pending).toHaveLength(1));
    await expect(fake.batch(0, async () => Promise.reject(rebalancing()))).rejects.toMatchObject({
      type: 'REBALANCE_IN_PROGRESS',
    });
    pending[0](); // partition 1 finishes its record, then sees the rebalance before its next one
    await expect(one).rejects.toMatchObject({ type: 'REBALANCE_IN_PROGRESS' });
    expect(applied).toEqual(['1@0', '0@0']);

    fake.join({ t: [0, 1] });
    pending = [];
    const again = fake.batch(0, async () => undefined);
    await expect(again).resolves.toBeUndefined();
    expect(applied.slice(2)).toEqual(['0@0', '0@1', '0@2']);
  });
});

describe('KafkajsRecordSource and an unreachable coordinator', () => {
  it('goes on applying, and tries the heartbeat again only after the heartbeat interval', async () => {
    const fake = fakeConsumerKafka();
    const source = new KafkajsRecordSource(fake.kafka, options);
    const applied: string[] = [];
    await source.start(async (b: PartitionBatch) => {
      for (const r of b.records) {
        if (!b.isActive()) break;
        applied.push(`${r.partition}@${r.offset}`);
        await b.heartbeat().catch(() => undefined);
      }
    });
    const refused = vi.fn(async () =>
      Promise.reject(Object.assign(new Error('Connection error: connect ECONNREFUSED'), { name: 'KafkaJSConnectionError' })),
    );
    await expect(fake.batch(0, refused)).resolves.toBeUndefined();
    expect(applied).toEqual(['0@0', '0@1', '0@2']);
    expect(refused).toHaveBeenCalledOnce(); // not once per record
  });
});

describe('KafkajsDeadLetterSink', () => {
  it('sends one record per call, and replaces its producer after a failed send', async () => {
    const producers: Array<{ send: ReturnType<typeof vi.fn>; disconnect: ReturnType<typeof vi.fn> }> = [];
    const kafka = {
      producer: () => {
        const failing = producers.length === 0;
        const p = {
          connect: vi.fn(async () => undefined),
          disconnect: vi.fn(async () => undefined),
          send: vi.fn(async () => {
            if (failing) throw Object.assign(new Error('out of order sequence'), { type: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
          }),
        };
        producers.push(p);
        return p;
      },
    } as unknown as Kafka;
    const sink = new KafkajsDeadLetterSink(kafka);
    const record = { key: Buffer.from('k'), value: Buffer.from('v'), headers: { h: '1' } };

    await expect(sink.publish('t.dlq', record)).rejects.toMatchObject({ type: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(producers[0].disconnect).toHaveBeenCalledOnce();
    await sink.publish('t.dlq', record);
    await sink.publish('t.dlq', record);
    expect(producers).toHaveLength(2); // a new one after the failure, then kept
    for (const call of [...producers[0].send.mock.calls, ...producers[1].send.mock.calls]) {
      expect(call).toEqual([
        { topic: 't.dlq', acks: -1, messages: [{ key: record.key, value: record.value, headers: record.headers }] },
      ]);
    }
  });
});
