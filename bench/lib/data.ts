import mysql from 'mysql2/promise';
import { uuidToString, uuidv7Bytes, type MysqlConnectionOptions } from '@lockstep/core';
import { nowUs, sleep } from './util.js';

/**
 * The benchmark's outbox rows. Every system reads the same rows: the payload is JSON that starts
 * with the event id, so any system's output can be checked from the Kafka value alone:
 *   {"eventId":"<uuid>","seq":<n>,"writtenAt":<epoch µs>,"pad":"xxx…"}
 * `seq` grows per aggregate in commit order (each aggregate is written by one connection), which
 * lets the reader check per-key order. `writtenAt` is the writer's clock just before the INSERT
 * (autocommit: the INSERT is the commit), the start of the latency measurement.
 */
export const AGGREGATE_TYPE = 'bench';
export const EVENT_TYPE = 'BenchEvent';
export const AGGREGATES_PER_CONNECTION = 125;

export function makePayload(eventId: string, seq: number, writtenAtUs: number, size: number): Buffer {
  const head = `{"eventId":"${eventId}","seq":${seq},"writtenAt":${writtenAtUs},"pad":"`;
  const padLength = Math.max(0, size - head.length - 2);
  return Buffer.from(`${head}${'x'.repeat(padLength)}"}`, 'latin1');
}

export interface ParsedValue {
  eventId: string;
  seq: number;
  writtenAtUs: number;
}

/** Cheap parse of the fields at the front of the payload (no JSON.parse of the padding). */
export function parseValue(value: Buffer): ParsedValue | null {
  if (value.length < 20 || value[2] !== 0x65 /* e */) return null;
  const head = value.toString('latin1', 0, Math.min(value.length, 160));
  const idEnd = head.indexOf('"', 12);
  const seqAt = head.indexOf('"seq":', idEnd) + 6;
  const seqEnd = head.indexOf(',', seqAt);
  const wAt = head.indexOf('"writtenAt":', seqEnd) + 12;
  const wEnd = head.indexOf(',', wAt);
  if (idEnd < 0 || seqAt < 6 || wAt < 12 || wEnd < 0) return null;
  return { eventId: head.slice(12, idEnd), seq: Number(head.slice(seqAt, seqEnd)), writtenAtUs: Number(head.slice(wAt, wEnd)) };
}

function datetime6(us: number): string {
  const d = new Date(Math.floor(us / 1000));
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}.${String(us % 1_000_000).padStart(6, '0')}`;
}

export interface WrittenEvent {
  eventId: string;
  writtenAtUs: number;
}

const INSERT = (table: string): string =>
  `INSERT INTO \`${table}\` (id, aggregate_type, aggregate_id, event_type, payload, headers, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`;

/** One writer connection: single-row autocommit transactions, like a service recording one event per request. */
class Writer {
  private seq = 0;
  constructor(
    private readonly conn: mysql.Connection,
    private readonly table: string,
    private readonly index: number,
    private readonly size: number,
  ) {}

  async writeOne(onWritten: (e: WrittenEvent) => void, eventId?: string): Promise<void> {
    const idBytes = uuidv7Bytes();
    const id = eventId ?? uuidToString(idBytes);
    const seq = this.seq++;
    const aggregate = `agg-${this.index}-${seq % AGGREGATES_PER_CONNECTION}`;
    const at = nowUs();
    onWritten({ eventId: id, writtenAtUs: at });
    await this.conn.execute(INSERT(this.table), [
      idBytes,
      AGGREGATE_TYPE,
      aggregate,
      EVENT_TYPE,
      makePayload(id, seq, at, this.size),
      '{}',
      datetime6(at),
    ]);
  }
}

/** mysql2 options without the harness's extra `name` field (mysql2 warns about unknown options). */
export function connectionOptions(db: MysqlConnectionOptions & { name?: string }): MysqlConnectionOptions {
  const { host, port, user, password, database } = db;
  return { host, port, user, password, database };
}

async function openWriters(
  db: MysqlConnectionOptions,
  table: string,
  connections: number,
  size: number,
  offset = 0,
): Promise<{ writers: Writer[]; close: () => Promise<void> }> {
  const conns = await Promise.all(Array.from({ length: connections }, () => mysql.createConnection(connectionOptions(db))));
  return {
    writers: conns.map((c, i) => new Writer(c, table, offset + i, size)),
    close: async () => {
      await Promise.all(conns.map((c) => c.end()));
    },
  };
}

/** Writes `n` committed events as fast as `connections` connections can; returns the commit rate. */
export async function writeBacklog(
  db: MysqlConnectionOptions,
  table: string,
  n: number,
  size: number,
  connections = 8,
): Promise<{ events: WrittenEvent[]; seconds: number; txPerSecond: number }> {
  const { writers, close } = await openWriters(db, table, connections, size);
  const events: WrittenEvent[] = [];
  let next = 0;
  const start = performance.now();
  try {
    await Promise.all(
      writers.map(async (w) => {
        while (next < n) {
          next++;
          await w.writeOne((e) => events.push(e));
        }
      }),
    );
  } finally {
    await close();
  }
  const seconds = (performance.now() - start) / 1000;
  return { events, seconds, txPerSecond: n / seconds };
}

/** Inserts one marker row (not a benchmark event) and returns its id. */
export async function writeMarker(db: MysqlConnectionOptions, table: string, size = 100): Promise<string> {
  const conn = await mysql.createConnection(connectionOptions(db));
  try {
    const id = uuidToString(uuidv7Bytes());
    await new Writer(conn, table, 999, size).writeOne(() => undefined, id);
    return id;
  } finally {
    await conn.end();
  }
}

/**
 * Live load: `rate` single-row transactions per second (open loop, evenly spaced over
 * `connections` connections) for `seconds`; rate 0 = as fast as possible.
 */
export async function writeLive(
  db: MysqlConnectionOptions,
  table: string,
  opts: {
    rate: number;
    seconds: number;
    size: number;
    connections: number;
    onWritten: (e: WrittenEvent) => void;
    offset?: number;
  },
): Promise<{ written: number; seconds: number; achievedTxPerSecond: number }> {
  const { writers, close } = await openWriters(db, table, opts.connections, opts.size, opts.offset ?? 0);
  let written = 0;
  const start = performance.now();
  const end = start + opts.seconds * 1000;
  try {
    await Promise.all(
      writers.map(async (w, i) => {
        const interval = opts.rate > 0 ? (1000 * opts.connections) / opts.rate : 0;
        let k = 0;
        for (;;) {
          const due = start + (i * interval) / opts.connections + k * interval;
          if (due >= end || performance.now() >= end) break;
          const wait = due - performance.now();
          if (wait > 1) await sleep(wait);
          await w.writeOne(opts.onWritten);
          written++;
          k++;
        }
      }),
    );
  } finally {
    await close();
  }
  const seconds = (performance.now() - start) / 1000;
  return { written, seconds, achievedTxPerSecond: written / seconds };
}
