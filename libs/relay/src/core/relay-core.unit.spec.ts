import { describe, expect, it } from 'vitest';
import { uuidToString, uuidv7Bytes } from '@lockstep/core';
import { decodeCheckpoint, encodeCheckpoint, type GtidPosition } from './relay-checkpoint.js';
import { defaultTopicRouter, isValidTopicName, occurredAtIso, toRelayRecord } from './record-router.js';
import { IllegalRelayTransitionError, InvalidTopicError } from './relay.errors.js';
import { batchRecords } from './batch-records.js';
import { outboxRowFromBinlog, type OutboxRow } from './outbox-row.js';
import { RelayStateMachine } from './relay-state-machine.js';
import { TransactionAssembler, type CommitPosition, type SourceTransaction } from './transaction-assembler.js';
import { TransactionQueue } from './transaction-queue.js';
import { serverIdForRelayName } from './relay.options.js';

const pos = (n: number): CommitPosition => ({
  gtidSet: `0-1-${n}` as GtidPosition,
  binlogFile: 'binlog.000001',
  binlogPosition: n * 100,
});
const row = (aggregateId = 'a', payload = '{"x":1}'): OutboxRow => ({
  id: uuidv7Bytes(),
  aggregateType: 'order',
  aggregateId,
  eventType: 'order.placed',
  payload: Buffer.from(payload),
  headers: '{"traceparent":"00-1-2-01"}',
  createdAt: '2026-11-24 20:30:00.123400',
});

describe('TransactionAssembler', () => {
  it('releases rows only at the commit, whole, with the position after the commit', () => {
    const out: SourceTransaction[] = [];
    const a = new TransactionAssembler((tx) => out.push(tx));
    a.begin('0-1-5', () => pos(4));
    a.add([row(), row()]);
    a.add([row()]);
    expect(out).toEqual([]);
    a.commit(pos(5));
    expect(out).toHaveLength(1);
    expect(out[0].rows).toHaveLength(3);
    expect(out[0].position.gtidSet).toBe('0-1-5');
  });

  it('a partial transaction is dropped by reset (the stream restarts from the last commit)', () => {
    const out: SourceTransaction[] = [];
    const a = new TransactionAssembler((tx) => out.push(tx));
    a.begin('0-1-6', () => pos(5));
    a.add([row()]);
    a.reset();
    a.begin('0-1-6', () => pos(5));
    a.commit(pos(6));
    expect(out.map((t) => t.rows.length)).toEqual([0]);
  });

  it('a new GTID closes a transaction that had no commit marker (non-transactional engine)', () => {
    const out: SourceTransaction[] = [];
    const a = new TransactionAssembler((tx) => out.push(tx));
    a.begin('0-1-7', () => pos(6));
    a.add([row()]);
    a.begin('0-1-8', () => pos(7));
    expect(out).toHaveLength(1);
    expect(out[0].position.gtidSet).toBe('0-1-7');
  });
});

describe('TransactionQueue', () => {
  const tx = (n: number, rows: number): SourceTransaction => ({
    gtid: `0-1-${n}`,
    rows: Array.from({ length: rows }, () => row()),
    position: pos(n),
  });

  it('cuts batches between whole transactions, never inside one', () => {
    const q = new TransactionQueue();
    q.push(tx(1, 3));
    q.push(tx(2, 3));
    q.push(tx(3, 3));
    const b = q.take(5, 1e9)!;
    expect(b.events).toBe(3);
    expect(b.position.gtidSet).toBe('0-1-1');
    expect(q.queuedEvents).toBe(6);
  });

  it('takes an oversized transaction whole', () => {
    const q = new TransactionQueue();
    q.push(tx(1, 50));
    expect(q.take(10, 1e9)!.events).toBe(50);
  });

  it('row-less transactions only move the position, claimed by the batch that empties the queue', () => {
    const q = new TransactionQueue();
    q.push(tx(1, 2));
    q.push(tx(2, 0));
    q.push(tx(3, 0));
    expect(q.queuedTransactions).toBe(1);
    const b = q.take(100, 1e9)!;
    expect(b.position.gtidSet).toBe('0-1-3');
    expect(q.take(100, 1e9)).toBeNull();
    expect(q.latestPosition?.gtidSet).toBe('0-1-3');
  });

  it('caps by bytes', () => {
    const q = new TransactionQueue();
    q.push({ gtid: '0-1-1', rows: [row('a', 'x'.repeat(1000))], position: pos(1) });
    q.push({ gtid: '0-1-2', rows: [row('a', 'x'.repeat(1000))], position: pos(2) });
    expect(q.take(100, 1500)!.events).toBe(1);
  });
});

describe('record router (wire contract)', () => {
  it('key = aggregate id, value = payload bytes verbatim, Lockstep headers plus the row headers', () => {
    const r = row('o-7', '{"b":2,  "a":1}');
    const rec = toRelayRecord(r, defaultTopicRouter('shop'));
    expect(rec.topic).toBe('shop.order');
    expect(rec.key).toBe('o-7');
    expect(rec.value).toBe(r.payload);
    expect(rec.headers).toEqual({
      traceparent: '00-1-2-01',
      'lockstep-id': uuidToString(r.id),
      'lockstep-type': 'order.placed',
      'lockstep-aggregate-type': 'order',
      'lockstep-aggregate-id': 'o-7',
      'lockstep-occurred-at': '2026-11-24T20:30:00.123400Z',
    });
  });

  it('app headers cannot override Lockstep headers; malformed headers are ignored', () => {
    const r = { ...row(), headers: '{"lockstep-id":"forged","x":"1"}' };
    expect(toRelayRecord(r, defaultTopicRouter()).headers['lockstep-id']).toBe(uuidToString(r.id));
    expect(toRelayRecord({ ...row(), headers: 'not json' }, defaultTopicRouter()).headers.traceparent).toBeUndefined();
  });

  it('occurred-at keeps microseconds', () => {
    expect(occurredAtIso('2026-01-02 03:04:05.000007')).toBe('2026-01-02T03:04:05.000007Z');
    expect(occurredAtIso('2026-01-02 03:04:05')).toBe('2026-01-02T03:04:05.000000Z');
  });

  it('rejects rows without the wire-contract columns', () => {
    expect(() => outboxRowFromBinlog({ id: Buffer.alloc(16) }, 'lockstep_outbox')).toThrow(/wire-contract columns/);
  });
});

describe('checkpoint codec, state machine, options, topic names', () => {
  it('round-trips a checkpoint; a tombstone decodes to null', () => {
    const c = {
      gtidSet: '0-1-9' as GtidPosition,
      binlogFile: 'b.1',
      binlogPosition: 5,
      lastEventId: null,
      lastEventCreatedAt: null,
      eventsPublished: 3,
      at: 'now',
    };
    expect(decodeCheckpoint(encodeCheckpoint(c))).toEqual(c);
    expect(decodeCheckpoint(null)).toBeNull();
  });

  it('refuses transitions the design does not allow, a move to the same state included, with a bug error', () => {
    const sm = new RelayStateMachine();
    expect(() => sm.transition('publishing')).toThrow(IllegalRelayTransitionError);
    expect(() => sm.transition('publishing')).toThrow(/idle -> publishing/);
    sm.transition('standby');
    expect(() => sm.transition('standby')).toThrow(IllegalRelayTransitionError);
    sm.transition('stopping');
    sm.transition('stopped');
    expect(sm.isTerminal).toBe(true);
  });

  it('walks the life cycle of a leader that is fenced', () => {
    const sm = new RelayStateMachine();
    sm.transition('standby');
    sm.transition('starting');
    sm.transition('publishing');
    sm.transition('fenced');
    expect(() => sm.transition('starting')).toThrow();
  });

  it('derives a stable server id from the relay name, never 1', () => {
    expect(serverIdForRelayName('orders')).toBe(serverIdForRelayName('orders'));
    expect(serverIdForRelayName('orders')).not.toBe(serverIdForRelayName('billing'));
    expect(serverIdForRelayName('x')).toBeGreaterThanOrEqual(1000);
  });

  it('refuses an event whose topic Kafka would not accept, naming the event and the fix', () => {
    expect(isValidTopicName('lockstep.order_line-v2')).toBe(true);
    for (const bad of ['lockstep.order line', 'lockstep.a/b', '', '..', 'x'.repeat(250), 'lockstep.ordér'])
      expect(isValidTopicName(bad)).toBe(false);
    const r = { ...row(), aggregateType: 'order line' };
    const error = (() => {
      try {
        toRelayRecord(r, defaultTopicRouter('lockstep'));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidTopicError);
    expect((error as Error).message).toContain(uuidToString(r.id));
    expect((error as Error).message).toContain('LOCKSTEP_TOPIC_TEMPLATE');
  });
});

describe('assessPurgeRisk', () => {
  const facts = { files: ['binlog.000001', 'binlog.000002', 'binlog.000003', 'binlog.000004'], expireSeconds: 86_400 };
  it('is quiet for a recent checkpoint, or one in a newer file', async () => {
    const { assessPurgeRisk } = await import('./purge-risk.js');
    expect(assessPurgeRisk(facts, 'binlog.000001', 60).atRisk).toBe(false);
    expect(assessPurgeRisk(facts, 'binlog.000004', 80_000).atRisk).toBe(false);
    expect(assessPurgeRisk({ ...facts, expireSeconds: null }, 'binlog.000001', 1e9).atRisk).toBe(false);
  });
  it('warns for an old checkpoint in the oldest files, and for a file already gone', async () => {
    const { assessPurgeRisk } = await import('./purge-risk.js');
    expect(assessPurgeRisk(facts, 'binlog.000002', 50_000).atRisk).toBe(true);
    expect(assessPurgeRisk(facts, 'binlog.000000', 1).message).toMatch(/no longer on the server/);
  });
});

describe('batchRecords', () => {
  const tx = (n: number, aggregateType = 'order'): SourceTransaction => ({
    gtid: `0-1-${n}`,
    rows: [
      { ...row(), aggregateType },
      { ...row(), aggregateType },
    ],
    position: pos(n),
  });
  const batchOf = (txs: SourceTransaction[]) => ({ transactions: txs, events: txs.length * 2, bytes: 1, position: pos(99) });
  const router = defaultTopicRouter('lockstep');

  it('maps a whole batch when every topic is valid', () => {
    const b = batchOf([tx(1), tx(2)]);
    const r = batchRecords(b, router);
    expect(r.publishable).toBe(b);
    expect(r.records).toHaveLength(4);
    expect(r.refused).toBeNull();
  });

  it('cuts the batch before the first transaction with an invalid topic, keeping the position of the last good one', () => {
    const r = batchRecords(batchOf([tx(1), tx(2, 'bad type'), tx(3)]), router);
    expect(r.refused).toBeInstanceOf(InvalidTopicError);
    expect(r.publishable?.transactions).toHaveLength(1);
    expect(r.publishable?.events).toBe(2);
    expect(r.publishable?.position.gtidSet).toBe('0-1-1');
    expect(r.records).toHaveLength(2);
    expect(batchRecords(batchOf([tx(1, 'bad type'), tx(2)]), router)).toMatchObject({ publishable: null, records: [] });
  });
});
