import 'reflect-metadata';
import { IsInt, IsString, Min } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { LockstepHeader } from '@lockstep/core';
import { decodeRecord, type ConsumedRecord } from './record-decoder.js';

class Deposit {
  @IsString() account!: string;
  @IsInt() @Min(1) cents!: number;
}

const ID = '01a20f45-fb09-700f-9f21-87f20397e3e6';
const record = (value: string | Buffer | null, headers: Record<string, string> = {}): ConsumedRecord => ({
  topic: 't',
  partition: 0,
  offset: '7',
  key: Buffer.from('acct-1'),
  value: typeof value === 'string' ? Buffer.from(value) : value,
  headers: { [LockstepHeader.id]: ID, [LockstepHeader.type]: 'bank.deposit', ...headers },
});
const options = { maxPayloadBytes: 64, classFor: (type: string) => (type === 'bank.deposit' ? Deposit : undefined) };

describe('decodeRecord', () => {
  it('builds a validated instance of the event class', async () => {
    const d = await decodeRecord(
      record('{"account":"a","cents":5}', { [LockstepHeader.occurredAt]: '2026-11-24T20:00:00.000001Z' }),
      options,
    );
    expect(d.kind).toBe('event');
    if (d.kind !== 'event') return;
    expect(d.event).toBeInstanceOf(Deposit);
    expect(d.event).toEqual(Object.assign(new Deposit(), { account: 'a', cents: 5 }));
    expect(d.envelope).toMatchObject({ eventId: ID, eventType: 'bank.deposit', key: 'acct-1', aggregateId: 'acct-1' });
    expect(d.envelope.occurredAt?.toISOString()).toBe('2026-11-24T20:00:00.000Z');
  });

  it('checks the size before parsing anything', async () => {
    const d = await decodeRecord(record(`{"account":"${'x'.repeat(100)}`), options); // oversize AND malformed
    expect(d).toMatchObject({ kind: 'reject', reason: 'oversize' });
  });

  it('rejects unknown properties and bad values without echoing the values', async () => {
    const extra = await decodeRecord(record('{"account":"a","cents":5,"admin":true}'), options);
    expect(extra).toMatchObject({ kind: 'reject', reason: 'validation-failed' });
    const bad = await decodeRecord(record('{"account":"secret-iban-123","cents":-4}'), options);
    expect(bad).toMatchObject({ kind: 'reject', reason: 'validation-failed', message: 'Deposit is invalid: cents: min' });
    expect(JSON.stringify(bad)).not.toContain('-4,');
  });

  it('sorts out envelopes, unknown types, prototype keys and empty values', async () => {
    expect(await decodeRecord(record('{}', { [LockstepHeader.id]: 'not-a-uuid' }), options)).toMatchObject({
      kind: 'reject',
      reason: 'invalid-envelope',
    });
    expect(await decodeRecord(record('{}', { [LockstepHeader.type]: '' }), options)).toMatchObject({
      kind: 'reject',
      reason: 'invalid-envelope',
    });
    expect(await decodeRecord(record('{}', { [LockstepHeader.type]: 'bank.other' }), options)).toMatchObject({
      kind: 'unknown-type',
    });
    expect(await decodeRecord(record('{"__proto__":{"cents":1}}'), options)).toMatchObject({
      kind: 'reject',
      reason: 'forbidden-key',
    });
    expect(await decodeRecord(record(null), options)).toMatchObject({ kind: 'reject', reason: 'not-an-object' });
  });
});
