import { describe, expect, it } from 'vitest';
import { chunkByBytes, partitionLanes } from '../../core/partition-lanes.js';
import type { RelayRecord } from '../../core/record-router.js';
import { retryWithinBudget, type KafkaWait } from '../../core/retry-within-budget.js';
import { KafkaUnavailableError } from '../../core/relay.errors.js';
import { isFencingError, isRetriableKafkaError, isTooLargeError, kafkaErrorReason } from './kafkajs-errors.js';

const rec = (topic: string, key: string, n: number, bytes = 10): RelayRecord => ({
  topic,
  key,
  value: Buffer.alloc(bytes, n),
  headers: { 'lockstep-id': String(n) },
});

describe('partitionLanes', () => {
  it('puts each topic-partition in its own lane and keeps source order inside a lane', () => {
    const records = [rec('a', 'k1', 1), rec('a', 'k2', 2), rec('b', 'k1', 3), rec('a', 'k1', 4), rec('a', 'k3', 5)];
    const partitionOf = (_t: string, key: string): number => (key === 'k2' ? 1 : 0);
    const lanes = partitionLanes(records, partitionOf);
    expect(lanes.map((l) => [l.topic, l.partition, l.records.map((r) => r.headers['lockstep-id'])])).toEqual([
      ['a', 0, ['1', '4', '5']],
      ['a', 1, ['2']],
      ['b', 0, ['3']],
    ]);
  });
});

describe('chunkByBytes', () => {
  it('cuts before the record that would pass the limit, keeps order, and never drops or splits a record', () => {
    const records = Array.from({ length: 10 }, (_, i) => rec('a', 'k', i, 100));
    const chunks = chunkByBytes(records, 400);
    expect(chunks.flat()).toEqual(records);
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) expect(c.length).toBeGreaterThan(0);
  });

  it('gives a record larger than the limit a chunk of its own (Kafka then names it too large)', () => {
    const chunks = chunkByBytes([rec('a', 'k', 1, 10), rec('a', 'k', 2, 5000), rec('a', 'k', 3, 10)], 1000);
    expect(chunks.map((c) => c.length)).toEqual([1, 1, 1]);
  });
});

describe('retryWithinBudget', () => {
  const retriable = Object.assign(new Error('no leader'), {
    name: 'KafkaJSNumberOfRetriesExceeded',
    originalError: { type: 'NOT_LEADER_OR_FOLLOWER', name: 'KafkaJSProtocolError' },
  });

  it('retries a retriable failure, reports each wait with its reason, and returns the result', async () => {
    const waits: KafkaWait[] = [];
    let calls = 0;
    const result = await retryWithinBudget(
      async () => {
        calls++;
        if (calls < 3) throw retriable;
        return 'ok';
      },
      {
        operation: 'produce t/0',
        deadline: Date.now() + 5_000,
        isRetriable: isRetriableKafkaError,
        reasonOf: kafkaErrorReason,
        onWait: (w) => waits.push(w),
        initialDelayMs: 1,
      },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(waits.map((w) => [w.operation, w.reason, w.attempt])).toEqual([
      ['produce t/0', 'NOT_LEADER_OR_FOLLOWER', 1],
      ['produce t/0', 'NOT_LEADER_OR_FOLLOWER', 2],
    ]);
  });

  it('throws a non-retriable error at once (fencing is never retried)', async () => {
    const fenced = Object.assign(new Error('fenced'), { type: 'PRODUCER_FENCED', code: 90, retriable: false });
    let calls = 0;
    const attempt = retryWithinBudget(
      async () => {
        calls++;
        throw fenced;
      },
      { operation: 'x', deadline: Date.now() + 5_000, isRetriable: isRetriableKafkaError, reasonOf: kafkaErrorReason },
    );
    await expect(attempt).rejects.toBe(fenced);
    expect(calls).toBe(1);
  });

  it('gives up with KafkaUnavailableError carrying the last reason once the budget is spent', async () => {
    const attempt = retryWithinBudget(
      async () => {
        throw retriable;
      },
      {
        operation: 'produce t/1',
        deadline: Date.now() + 50,
        isRetriable: isRetriableKafkaError,
        reasonOf: kafkaErrorReason,
        initialDelayMs: 5,
        maxDelayMs: 10,
      },
    );
    await expect(attempt).rejects.toBeInstanceOf(KafkaUnavailableError);
    await expect(attempt).rejects.toMatchObject({
      code: 'LOCKSTEP_RELAY_KAFKA_UNAVAILABLE',
      retriable: true,
      wait: { reason: 'NOT_LEADER_OR_FOLLOWER' },
    });
  });
});

describe('isRetriableKafkaError', () => {
  it('retries what kafkajs gave up on as retriable and unreachable brokers; not a too-large record or a used-up transaction', () => {
    expect(isRetriableKafkaError(Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' }))).toBe(true);
    expect(isRetriableKafkaError(Object.assign(new Error('x'), { name: 'KafkaJSNumberOfRetriesExceeded' }))).toBe(true);
    expect(
      isRetriableKafkaError(
        Object.assign(new Error('x'), {
          name: 'KafkaJSNumberOfRetriesExceeded',
          originalError: { type: 'MESSAGE_TOO_LARGE', code: 10 },
        }),
      ),
    ).toBe(false);
    expect(
      isRetriableKafkaError(
        Object.assign(new Error('Cannot continue to use transaction once ended'), {
          name: 'KafkaJSNonRetriableError',
          retriable: false,
        }),
      ),
    ).toBe(false);
  });
});

describe('kafkajs error classification', () => {
  it('recognises fencing however kafkajs wraps it', () => {
    expect(isFencingError({ type: 'INVALID_PRODUCER_EPOCH', code: 47 })).toBe(true);
    expect(isFencingError({ name: 'KafkaJSNumberOfRetriesExceeded', cause: { type: 'PRODUCER_FENCED', code: 90 } })).toBe(true);
    expect(isFencingError({ type: 'REQUEST_TIMED_OUT', code: 7 })).toBe(false);
    expect(isFencingError(new Error('Connection timeout'))).toBe(false);
  });

  it('recognises a record Kafka refuses as too large, and nothing else', () => {
    expect(isTooLargeError({ name: 'KafkaJSProtocolError', type: 'MESSAGE_TOO_LARGE', code: 10 })).toBe(true);
    expect(isTooLargeError({ name: 'KafkaJSNumberOfRetriesExceeded', cause: { type: 'RECORD_LIST_TOO_LARGE', code: 18 } })).toBe(
      true,
    );
    expect(isTooLargeError({ type: 'INVALID_PRODUCER_EPOCH', code: 47 })).toBe(false);
    expect(isTooLargeError({ code: 10 })).toBe(false); // a bare number is not a Kafka error
  });
});
