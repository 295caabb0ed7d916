import { randomBytes } from 'node:crypto';
import type mysql from 'mysql2/promise';
import { DEFAULT_OUTBOX_TABLE, formatMysqlUrl, uuidToString, uuidv7Bytes, type MysqlConnectionOptions } from '@lockstep/core';
import { relayUserGrantsSql } from '@lockstep/relay';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { applyLockstepSchema } from './apply-schema.js';
import type { ReadRecord } from './kafka-test-kit.js';

/** An event as a test writes it straight into the outbox table (wire format, plain SQL). */
export interface TestOutboxEvent {
  id: string;
  aggregateType: string;
  aggregateId: string;
  eventType: string;
  payload: Buffer;
  headers: Record<string, string>;
}

export function testOutboxEvent(
  aggregateType: string,
  aggregateId: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): TestOutboxEvent {
  return {
    id: uuidToString(uuidv7Bytes()),
    aggregateType,
    aggregateId,
    eventType: `${aggregateType}.changed`,
    payload: Buffer.from(JSON.stringify(body), 'utf8'),
    headers,
  };
}

/** Inserts events in the caller's current transaction (or autocommit), as OutboxWriter would. */
export async function insertOutboxRows(
  c: mysql.Connection,
  events: TestOutboxEvent[],
  table = DEFAULT_OUTBOX_TABLE,
): Promise<void> {
  if (events.length === 0) return;
  await c.query(
    `INSERT INTO \`${table}\` (id, aggregate_type, aggregate_id, event_type, payload, headers, created_at) VALUES ?`,
    [
      events.map((e) => [
        Buffer.from(e.id.replace(/-/g, ''), 'hex'),
        e.aggregateType,
        e.aggregateId,
        e.eventType,
        e.payload,
        JSON.stringify(e.headers),
        new Date(),
      ]),
    ],
  );
}

/** The server's current binlog end (MariaDB): a relay started here sees only what follows. */
export async function gtidBinlogPos(c: mysql.Connection): Promise<string> {
  // MariaDB only, on purpose: the tests run on the private MariaDB (the relay itself uses currentGtidPosition()).
  const [[row]] = await c.query<mysql.RowDataPacket[]>('SELECT @@GLOBAL.gtid_binlog_pos AS p');
  return String(row?.p ?? '');
}

/** Creates a least-privilege relay user (relayUserGrantsSql) for a test database; returns its connection options. */
export interface RelayTestUser {
  connection: MysqlConnectionOptions;
  /** mysql://relay:...@host:port/db, for LOCKSTEP_MYSQL_URL of a relay process. */
  url: string;
  dropUser(): Promise<void>;
}

export async function createRelayUser(db: TestDatabase): Promise<RelayTestUser> {
  const user = `relay_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(9).toString('hex');
  const c = await db.admin();
  try {
    for (const sql of relayUserGrantsSql(user, password, db.name)) await c.query(sql);
  } finally {
    await c.end();
  }
  const connection = { ...db.options, user, password };
  return {
    connection,
    url: formatMysqlUrl(connection),
    async dropUser() {
      const a = await db.admin();
      try {
        await a.query(`DROP USER IF EXISTS '${user}'@'%'`);
      } finally {
        await a.end();
      }
    },
  };
}

/**
 * Checks I3 + I4 on what an outside reader saw: every id once, none unexpected, per-key `seq`
 * increasing, and every key of a topic on one partition. Order is only defined within a partition,
 * so a key spread over two partitions breaks I4 even when each partition's `seq` increases: such a
 * key is listed in `splitKeys` and in `outOfOrder` (callers asserting `outOfOrder` empty catch it).
 */
export function checkExactlyOnceInOrder(
  records: ReadRecord[],
  expectedIds: Set<string>,
): { missing: string[]; duplicates: string[]; unexpected: string[]; outOfOrder: string[]; splitKeys: string[] } {
  const seen = new Map<string, number>();
  for (const r of records) {
    const id = r.headers['lockstep-id'] ?? '';
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  const missing = [...expectedIds].filter((id) => !seen.has(id));
  const duplicates = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  const unexpected = [...seen.keys()].filter((id) => !expectedIds.has(id));
  const lastSeq = new Map<string, number>();
  const outOfOrder: string[] = [];
  const byPartition = [...records].sort(
    (a, b) => (a.topic + a.partition).localeCompare(b.topic + b.partition) || Number(BigInt(a.offset) - BigInt(b.offset)),
  );
  for (const r of byPartition) {
    const seq = Number((JSON.parse(r.value?.toString('utf8') ?? '{}') as { seq?: number }).seq);
    const key = `${r.topic}/${r.key}`;
    if (!Number.isFinite(seq)) continue;
    const prev = lastSeq.get(key);
    if (prev !== undefined && seq <= prev) outOfOrder.push(`${key}: ${prev} then ${seq}`);
    lastSeq.set(key, seq);
  }
  const partitionsOfKey = new Map<string, Set<number>>();
  for (const r of records) {
    if (r.key === null) continue; // an unkeyed record has no per-key order to keep
    const key = `${r.topic}/${r.key}`;
    const partitions = partitionsOfKey.get(key) ?? new Set<number>();
    partitions.add(r.partition);
    partitionsOfKey.set(key, partitions);
  }
  const splitKeys = [...partitionsOfKey]
    .filter(([, partitions]) => partitions.size > 1)
    .map(([key, partitions]) => `${key}: on partitions ${[...partitions].sort((a, b) => a - b).join(', ')}`);
  outOfOrder.push(...splitKeys);
  return { missing, duplicates, unexpected, outOfOrder, splitKeys };
}
export * from './relay-process.js';

/**
 * Events a relay has committed to Kafka, as its MySQL checkpoint mirror says. Tests watch progress
 * with this rather than a read_committed read: while a relay commits back-to-back transactions
 * there is almost always one open on the partition, and kcat (librdkafka) was seen not to report
 * the end of the partition until the relay paused, so a time-limited read returned nothing.
 */
export async function mirroredEventsPublished(db: TestDatabase, relayName: string): Promise<number> {
  const admin = await db.admin();
  try {
    const [[row]] = await admin.query<mysql.RowDataPacket[]>(
      'SELECT MAX(events_published) AS n FROM lockstep_relay_checkpoint WHERE relay_name = ?',
      [relayName],
    );
    return Number(row?.n ?? 0);
  } finally {
    await admin.end();
  }
}

/** A throw-away test database with Lockstep's tables and a least-privilege relay user: what every relay test starts from. */
export async function createRelayTestDatabase(prefix: string): Promise<{ db: TestDatabase; relayUser: RelayTestUser }> {
  const db = await createTestDatabase(prefix);
  await applyLockstepSchema(db);
  return { db, relayUser: await createRelayUser(db) };
}

/** Drops what createRelayTestDatabase made (either part may be missing if the set-up failed half-way). */
export async function dropRelayTestDatabase({ db, relayUser }: { db?: TestDatabase; relayUser?: RelayTestUser }): Promise<void> {
  await relayUser?.dropUser();
  await db?.drop();
}
