import { randomInt } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import { LockstepHeader, uuidToString, uuidv7Bytes } from '@lockstep/core';
import { testKafka, uniqueName, type TestDatabase } from '@lockstep/testing';
import { deadLettersTableDdl, parkedKeysTableDdl } from '@lockstep/consumer';
import { TOTALS_DDL } from './fixtures/totals.fixture.js';

/** A record in the wire format of docs/design.md, as the relay would publish it. */
export interface WireRecord {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface AmountEvent {
  id: string;
  account: string;
  amount: number;
  seq: number;
  poison?: boolean;
}

export function amountRecord(
  e: AmountEvent,
  overrides: { type?: string; value?: Buffer | null; headers?: Record<string, string> } = {},
): WireRecord {
  const body: Record<string, unknown> = { account: e.account, amount: e.amount, seq: e.seq };
  if (e.poison) body.poison = true;
  return {
    key: e.account,
    value: overrides.value !== undefined ? overrides.value : Buffer.from(JSON.stringify(body)),
    headers: {
      [LockstepHeader.id]: e.id,
      [LockstepHeader.type]: overrides.type ?? 'ctest.amount-added',
      [LockstepHeader.aggregateType]: 'ctest',
      [LockstepHeader.aggregateId]: e.account,
      [LockstepHeader.occurredAt]: new Date().toISOString(),
      ...overrides.headers,
    },
  };
}

/** `count` events spread over `accounts` accounts with random amounts and per-account seq. */
export function amountEvents(count: number, accounts: number): AmountEvent[] {
  const seq = new Map<string, number>();
  return Array.from({ length: count }, () => {
    const account = `acct-${randomInt(accounts)}`;
    const s = (seq.get(account) ?? 0) + 1;
    seq.set(account, s);
    return { id: uuidToString(uuidv7Bytes()), account, amount: randomInt(1, 1000), seq: s };
  });
}

export function expectedTotals(events: AmountEvent[]): Record<string, { n: number; sum: number }> {
  const out: Record<string, { n: number; sum: number }> = {};
  for (const e of events) {
    const t = (out[e.account] ??= { n: 0, sum: 0 });
    t.n += 1;
    t.sum += e.amount;
  }
  return out;
}

export async function readTotals(db: TestDatabase): Promise<Record<string, { n: number; sum: number }>> {
  const c = await db.admin();
  try {
    const [rows] = await c.query('SELECT account, n, sum FROM totals ORDER BY account');
    const out: Record<string, { n: number; sum: number }> = {};
    for (const r of rows as Array<{ account: string; n: string; sum: string }>)
      out[r.account] = { n: Number(r.n), sum: Number(r.sum) };
    return out;
  } finally {
    await c.end();
  }
}

export async function countApplied(db: TestDatabase): Promise<number> {
  const c = await db.admin();
  try {
    const [rows] = await c.query('SELECT COUNT(*) AS n FROM applied');
    return Number((rows as Array<{ n: string }>)[0].n);
  } finally {
    await c.end();
  }
}

export async function applyConsumerFixtureSchema(db: TestDatabase): Promise<void> {
  const c = await db.admin();
  try {
    for (const ddl of [...TOTALS_DDL, parkedKeysTableDdl(), deadLettersTableDdl()]) await c.query(ddl);
  } finally {
    await c.end();
  }
}

/** Publishes wire records the way the relay does: in Kafka transactions (so read_committed
 * consumers also meet transaction markers), `chunk` records per transaction; to the test
 * broker, or to `kafka` (e.g. the 3-node cluster's client). */
export async function produceWire(
  topic: string,
  records: WireRecord[],
  chunk = 200,
  kafka: Kafka = testKafka('ctest-producer'),
): Promise<void> {
  const producer: Producer = kafka.producer({
    transactionalId: uniqueName('ctest-tx'),
    idempotent: true,
    maxInFlightRequests: 1,
    // On a cluster the transaction coordinator answers CONCURRENT_TRANSACTIONS for a while after
    // each commit, and a lost broker takes seconds to move: kafkajs' 5 quick retries are not enough.
    retry: { retries: 12, initialRetryTime: 100, maxRetryTime: 3_000 },
  });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += chunk) {
      const tx = await producer.transaction();
      try {
        await tx.send({
          topic,
          messages: records.slice(i, i + chunk).map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
        });
        await tx.commit();
      } catch (error) {
        await tx.abort().catch(() => undefined);
        throw error;
      }
    }
  } finally {
    await producer.disconnect();
  }
}
